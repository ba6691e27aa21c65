// Worker thread of SignaturePool: secp256k1 signer recovery off the verifier's event loop.
// Imports only node: and @opg/protocol (its built dist), so Node runs it straight from the
// TypeScript source (type stripping) as well as from dist/.
import { parentPort } from "node:worker_threads";
import { OpgError, recoverDigestSigner } from "@opg/protocol";

type Job = { id: number; digest: `0x${string}`; signature: `0x${string}` };
type Reply = { id: number; signer?: string; code?: string; message?: string };

parentPort?.on("message", (jobs: Job[]) => {
  const replies: Reply[] = jobs.map((j) => {
    try {
      return { id: j.id, signer: recoverDigestSigner(j.digest, j.signature) };
    } catch (err) {
      return {
        id: j.id,
        code: err instanceof OpgError ? String(err.code) : "UNRECOVERABLE",
        message: err instanceof OpgError ? err.shortMessage : String(err),
      };
    }
  });
  parentPort?.postMessage(replies);
});
parentPort?.postMessage("ready");
