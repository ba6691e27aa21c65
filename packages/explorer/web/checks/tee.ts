import {
  AWS_NITRO_ROOT_SHA256,
  coseSign1ToBeSigned,
  decodeTeeProof,
  enclaveMeasurement,
  parseAttestation,
  x509,
} from "@opg/attestation/browser";
import { modelRegistryAbi } from "@opg/chain";
import { recoverDigestSigner } from "@opg/protocol";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { publicKeyToAddress } from "viem/accounts";
import type { Explorer } from "../context.js";

export type TeeCheck = {
  ok: boolean;
  lines: { ok: boolean; text: string }[];
  pcrs: [number, Hex][];
  chain: { subject: string; issuer: string; sha256: Hex }[];
};

async function sha256(bytes: Uint8Array): Promise<Hex> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/**
 * A TEE result's attestation, read and checked in this browser with WebCrypto: the certificate chain
 * (each certificate signed by the next one up, to the root), the document's COSE_Sign1 ES384
 * signature by the leaf certificate, and the PCR0‖PCR1‖PCR2 measurement against the model's
 * on-chain allowlist. The root is shown by fingerprint: AWS's Nitro root, or a devnet's dev root.
 */
export async function checkTeeResult(
  explorer: Explorer,
  r: { modelId: Hex; resultHash: Hex; resultProof: Hex },
): Promise<TeeCheck> {
  const out: TeeCheck = { ok: false, lines: [], pcrs: [], chain: [] };
  const proof = decodeTeeProof(hexToBytes(r.resultProof));
  const document =
    proof.binding === "document"
      ? proof.document
      : "document" in proof.attestation
        ? proof.attestation.document
        : undefined;
  if (!document) {
    out.lines.push({
      ok: false,
      text: "this result names its attestation by id (the executor sent the full document with an earlier result)",
    });
    return out;
  }
  const { cose, document: doc } = parseAttestation(document);
  out.pcrs = [...doc.pcrs.entries()].sort((a, b) => a[0] - b[0]).map(([i, v]) => [i, bytesToHex(v)]);
  // Leaf first, then the CA bundle from the closest intermediate up to the root.
  const ders = [doc.certificate, ...[...doc.cabundle].reverse()];
  const certs = ders.map((d) => new x509.X509Certificate(d as Uint8Array<ArrayBuffer>));
  for (const [i, c] of certs.entries()) {
    out.chain.push({ subject: c.subject, issuer: c.issuer, sha256: await sha256(ders[i]!) });
  }
  let chainOk = true;
  for (let i = 0; i < certs.length; i++) {
    const issuer = certs[Math.min(i + 1, certs.length - 1)]!;
    const ok = await certs[i]!.verify({ publicKey: issuer.publicKey, signatureOnly: true });
    chainOk &&= ok;
  }
  out.lines.push({ ok: chainOk, text: `certificate chain of ${certs.length} verified with WebCrypto` });
  const rootSha = out.chain[out.chain.length - 1]!.sha256;
  const isAws =
    rootSha.slice(2).toLowerCase() ===
    AWS_NITRO_ROOT_SHA256.replace(/^0x/, "").replace(/:/g, "").toLowerCase();
  out.lines.push({
    ok: true,
    text: isAws
      ? "root: the AWS Nitro Enclaves root"
      : `root ${rootSha.slice(0, 18)}… is not AWS's: a development root (devnet)`,
  });
  const key = await certs[0]!.publicKey.export({ name: "ECDSA", namedCurve: "P-384" }, ["verify"]);
  const sigOk = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-384" },
    key,
    cose.signature as Uint8Array<ArrayBuffer>,
    coseSign1ToBeSigned(cose.protectedHeader, cose.payload) as Uint8Array<ArrayBuffer>,
  );
  out.lines.push({
    ok: sigOk,
    text: "attestation document signature (COSE_Sign1, ES384) verified with WebCrypto",
  });
  out.lines.push(bindingLine(proof, doc.publicKey, doc.userData, r.resultHash));
  const measurement = enclaveMeasurement(doc.pcrs);
  // The measurements a listing allows are its publisher's choice: read them from the listing of
  // the first trusted publisher that lists this model.
  const listingId = await explorer.listingOf(r.modelId);
  const allowed =
    listingId !== undefined &&
    ((await explorer.chain.readContract({
      address: explorer.config.modelRegistry,
      abi: modelRegistryAbi,
      functionName: "isMeasurementAllowed",
      args: [listingId, measurement],
    })) as boolean);
  out.lines.push({
    ok: allowed,
    text:
      listingId === undefined
        ? "no trusted publisher lists this model on chain"
        : `PCR measurement ${measurement.slice(0, 14)}… ${allowed ? "is" : "is NOT"} allowed by the listing ${listingId.slice(0, 10)}… on chain`,
  });
  out.ok = chainOk && sigOk && allowed && out.lines.every((l) => l.ok);
  return out;
}

/** The attestation is about this result: its enclave key signed the result hash, or its user data is the hash. */
function bindingLine(
  proof: ReturnType<typeof decodeTeeProof>,
  publicKey: Uint8Array | undefined,
  userData: Uint8Array | undefined,
  resultHash: Hex,
): { ok: boolean; text: string } {
  if (proof.binding === "document") {
    const ok = userData !== undefined && bytesToHex(userData).toLowerCase() === resultHash.toLowerCase();
    return { ok, text: `the document's user data ${ok ? "is" : "is NOT"} the result hash` };
  }
  if (publicKey?.length !== 65 || publicKey[0] !== 0x04) {
    return { ok: false, text: "the document carries no secp256k1 enclave key" };
  }
  const enclave = publicKeyToAddress(bytesToHex(publicKey));
  let signer: string | undefined;
  try {
    signer = recoverDigestSigner(resultHash, proof.signature);
  } catch {
    signer = undefined;
  }
  const ok = signer !== undefined && signer.toLowerCase() === enclave.toLowerCase();
  return {
    ok,
    text: ok
      ? `the attested enclave key ${enclave.slice(0, 10)}… signed this result hash`
      : "the result hash is NOT signed by the attested enclave key",
  };
}
