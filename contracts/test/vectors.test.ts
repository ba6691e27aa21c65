/**
 * The contracts compute the same EIP-712 digests, result hashes, Merkle leaves/roots and config digests as
 * TypeScript: checked against packages/protocol/vectors/protocol-vectors.json (written by @opg/protocol) and
 * against an independent viem / @openzeppelin/merkle-tree reference. When the vector file is absent, vectors
 * are generated from that reference so the on-chain checks still run.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  type Address,
  getAddress,
  type Hex,
  hashStruct,
  hashTypedData,
  keccak256,
  recoverAddress,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../scripts/hre.js";
import { connect, deploySystem, type System } from "./helpers/fixture.js";
import {
  buildTree,
  configDigest,
  eip712Types,
  LEAF_ENCODING,
  leafOf,
  proofFor,
  type ResultFields,
  resultHash,
} from "./helpers/protocol.js";

const VECTORS_FILE = path.join(REPO_ROOT, "packages", "protocol", "vectors", "protocol-vectors.json");

type Num = string | number;
interface TypedVector<M> {
  message: M;
  structHash: Hex;
  digest: Hex;
}
interface Vectors {
  domain: { name: string; version: string; chainId: Num; verifyingContract: Address };
  domainSeparator?: Hex;
  eip712: {
    inferenceRequest: TypedVector<{
      requester: Address;
      modelId: Hex;
      inputHash: Hex;
      mode: Num;
      nonce: Num;
      deadline: Num;
    }>[];
    executionResult: TypedVector<{
      requestId: Hex;
      modelId: Hex;
      inputHash: Hex;
      outputHash: Hex;
      mode: Num;
    }>[];
    batchRoot: TypedVector<{ configDigest: Hex; batchId: Num; root: Hex; count: Num }>[];
    enclaveRegistration?: TypedVector<{
      enclave: Address;
      measurement: Hex;
      expiresAt: Num;
      configDigest: Hex;
    }>[];
  };
  resultHash: (ResultFields & { resultHash: Hex; leaf: Hex })[];
  merkle: { values: [Hex, Hex, Hex, Hex, Address][]; root: Hex; proofs: Hex[][] }[];
  configDigest: {
    chainId: Num;
    registry: Address;
    configCount: Num;
    signers: Address[];
    f: Num;
    digest: Hex;
  }[];
  signatures?: { privateKey: Hex; digest: Hex; signature: Hex }[];
}

const h = (label: string): Hex => keccak256(toHex(label));
const a = (label: string): Address => getAddress(`0x${h(label).slice(26)}`);

/** Vectors from the reference implementation (used only when the protocol package has not written them). */
async function generateVectors(): Promise<Vectors> {
  const domain = { name: "opg", version: "1", chainId: 31337, verifyingContract: a("hub") } as const;
  const typed = <P extends keyof typeof eip712Types>(primaryType: P, message: Record<string, unknown>) => ({
    message,
    structHash: hashStruct({ data: message, primaryType, types: eip712Types } as never),
    digest: hashTypedData({ domain, types: eip712Types, primaryType, message } as never),
  });
  const results: ResultFields[] = Array.from({ length: 7 }, (_, i) => ({
    requestId: h(`req-${i}`),
    modelId: h("model"),
    inputHash: h(`in-${i}`),
    outputHash: h(`out-${i}`),
    executor: a(`executor-${i % 2}`),
  }));
  const merkle = [results.slice(0, 1), results].map((rs) => {
    const tree = buildTree(rs);
    return {
      values: rs.map((r) => [r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor]) as never,
      root: tree.root as Hex,
      proofs: rs.map((r) => proofFor(tree, r)),
    };
  });
  const signer = privateKeyToAccount(h("signer"));
  const digest = hashTypedData({
    domain,
    types: eip712Types,
    primaryType: "BatchRoot",
    message: { configDigest: h("cd"), batchId: 1n, root: h("root"), count: 1 },
  });
  return {
    domain,
    eip712: {
      inferenceRequest: [
        typed("InferenceRequest", {
          requester: a("req"),
          modelId: h("model"),
          inputHash: h("in"),
          mode: 0,
          nonce: 0n,
          deadline: 1_900_000_000n,
        }),
      ] as never,
      executionResult: [
        typed("ExecutionResult", {
          requestId: h("r"),
          modelId: h("model"),
          inputHash: h("in"),
          outputHash: h("out"),
          mode: 2,
        }),
      ] as never,
      batchRoot: [
        typed("BatchRoot", { configDigest: h("cd"), batchId: 1n, root: h("root"), count: 1 }),
      ] as never,
    },
    resultHash: results.map((r) => ({ ...r, resultHash: resultHash(r), leaf: leafOf(r) })),
    merkle,
    configDigest: [
      {
        chainId: 31337,
        registry: a("registry"),
        configCount: "1",
        signers: [a("v0"), a("v1"), a("v2")],
        f: 1,
        digest: configDigest(31337, a("registry"), 1n, [a("v0"), a("v1"), a("v2")], 1),
      },
    ],
    signatures: [{ privateKey: h("signer"), digest, signature: await signer.sign({ hash: digest }) }],
  };
}

const fromFile = existsSync(VECTORS_FILE);
const vectors: Vectors = fromFile ? JSON.parse(readFileSync(VECTORS_FILE, "utf8")) : await generateVectors();
const chainId = Number(vectors.domain.chainId);
const domain = {
  name: vectors.domain.name,
  version: vectors.domain.version,
  chainId,
  verifyingContract: getAddress(vectors.domain.verifyingContract),
};

const irMessage = (m: Vectors["eip712"]["inferenceRequest"][number]["message"]) => ({
  requester: getAddress(m.requester),
  modelId: m.modelId,
  inputHash: m.inputHash,
  mode: Number(m.mode),
  nonce: BigInt(m.nonce),
  deadline: BigInt(m.deadline),
});
const erMessage = (m: Vectors["eip712"]["executionResult"][number]["message"]) => ({
  requestId: m.requestId,
  modelId: m.modelId,
  inputHash: m.inputHash,
  outputHash: m.outputHash,
  mode: Number(m.mode),
});
const regMessage = (m: NonNullable<Vectors["eip712"]["enclaveRegistration"]>[number]["message"]) => ({
  enclave: getAddress(m.enclave),
  measurement: m.measurement,
  expiresAt: BigInt(m.expiresAt),
  configDigest: m.configDigest,
});
const brMessage = (m: Vectors["eip712"]["batchRoot"][number]["message"]) => ({
  configDigest: m.configDigest,
  batchId: BigInt(m.batchId),
  root: m.root,
  count: Number(m.count),
});

describe(`protocol vectors (${fromFile ? "packages/protocol/vectors/protocol-vectors.json" : "generated: vector file absent"})`, () => {
  let s: System;
  let hubAtVectorAddress: System["hub"];
  let harness: Awaited<ReturnType<typeof deployHarness>>;
  const deployHarness = (sys: System) => sys.viem.deployContract("OpgHashesHarness");

  beforeAll(async () => {
    const conn = await connect();
    const chain = await (await conn.viem.getPublicClient()).getChainId();
    expect(chain, "the in-process chain must have the vectors' chainId").toBe(chainId);
    s = await deploySystem(conn);
    // Run the hub's code at the vectors' verifyingContract: EIP-712 digests must match exactly.
    const code = await s.publicClient.getCode({ address: s.hub.address });
    await conn.networkHelpers.setCode(domain.verifyingContract, code!);
    hubAtVectorAddress = await s.viem.getContractAt("InferenceHub", domain.verifyingContract);
    harness = await deployHarness(s);
  });

  it("default: the vectors agree with the viem reference (type hashes, struct hashes, digests)", () => {
    expect(vectors.domain.name).toBe("opg");
    expect(vectors.domain.version).toBe("1");
    for (const v of vectors.eip712.inferenceRequest) {
      const message = irMessage(v.message);
      expect(hashStruct({ data: message, primaryType: "InferenceRequest", types: eip712Types })).toBe(
        v.structHash,
      );
      expect(hashTypedData({ domain, types: eip712Types, primaryType: "InferenceRequest", message })).toBe(
        v.digest,
      );
    }
    for (const v of vectors.eip712.executionResult) {
      const message = erMessage(v.message);
      expect(hashStruct({ data: message, primaryType: "ExecutionResult", types: eip712Types })).toBe(
        v.structHash,
      );
      expect(hashTypedData({ domain, types: eip712Types, primaryType: "ExecutionResult", message })).toBe(
        v.digest,
      );
    }
    for (const v of vectors.eip712.batchRoot) {
      const message = brMessage(v.message);
      expect(hashStruct({ data: message, primaryType: "BatchRoot", types: eip712Types })).toBe(v.structHash);
      expect(hashTypedData({ domain, types: eip712Types, primaryType: "BatchRoot", message })).toBe(v.digest);
    }
    for (const v of vectors.eip712.enclaveRegistration ?? []) {
      const message = regMessage(v.message);
      expect(hashStruct({ data: message, primaryType: "EnclaveRegistration", types: eip712Types })).toBe(
        v.structHash,
      );
      expect(hashTypedData({ domain, types: eip712Types, primaryType: "EnclaveRegistration", message })).toBe(
        v.digest,
      );
    }
    for (const v of vectors.resultHash) {
      expect(resultHash(v)).toBe(v.resultHash);
      expect(leafOf(v)).toBe(v.leaf);
    }
    for (const m of vectors.merkle) {
      expect(StandardMerkleTree.of(m.values, LEAF_ENCODING).root).toBe(m.root);
    }
    for (const c of vectors.configDigest) {
      expect(configDigest(BigInt(c.chainId), c.registry, BigInt(c.configCount), c.signers, Number(c.f))).toBe(
        c.digest,
      );
    }
  });

  it("default: the hub computes the vectors' domain separator and EIP-712 digests", async () => {
    const hub = hubAtVectorAddress;
    if (vectors.domainSeparator !== undefined) {
      expect(await hub.read.domainSeparator()).toBe(vectors.domainSeparator);
      expect(await harness.read.domainSeparator([BigInt(chainId), domain.verifyingContract])).toBe(
        vectors.domainSeparator,
      );
    }
    for (const v of vectors.eip712.inferenceRequest) {
      const m = irMessage(v.message);
      expect(
        await harness.read.inferenceRequestHash([
          m.requester,
          m.modelId,
          m.inputHash,
          m.mode,
          m.nonce,
          m.deadline,
        ]),
      ).toBe(v.structHash);
      expect(
        await hub.read.inferenceRequestDigest([
          m.requester,
          m.modelId,
          m.inputHash,
          m.mode,
          m.nonce,
          m.deadline,
        ]),
      ).toBe(v.digest);
    }
    for (const v of vectors.eip712.executionResult) {
      const m = erMessage(v.message);
      expect(await harness.read.executionResultHash([m])).toBe(v.structHash);
      expect(await hub.read.executionResultDigest([m])).toBe(v.digest);
      expect(
        await harness.read.typedDataDigest([BigInt(chainId), domain.verifyingContract, v.structHash]),
      ).toBe(v.digest);
    }
    for (const v of vectors.eip712.batchRoot) {
      const m = brMessage(v.message);
      expect(await harness.read.batchRootHash([m])).toBe(v.structHash);
      expect(await hub.read.batchRootDigest([m])).toBe(v.digest);
    }
    // The EnclaveRegistry signs in its hub's domain: one built on the hub at the vectors' address.
    const enclaves = await s.viem.deployContract("EnclaveRegistry", [domain.verifyingContract]);
    if (vectors.domainSeparator !== undefined) {
      expect(await enclaves.read.domainSeparator()).toBe(vectors.domainSeparator);
    }
    for (const v of vectors.eip712.enclaveRegistration ?? []) {
      const m = regMessage(v.message);
      expect(await harness.read.enclaveRegistrationHash([m])).toBe(v.structHash);
      expect(await enclaves.read.enclaveRegistrationDigest([m])).toBe(v.digest);
    }
  });

  it("default: the contracts compute the vectors' result hashes and leaves", async () => {
    for (const v of vectors.resultHash) {
      const args = [v.requestId, v.modelId, v.inputHash, v.outputHash, getAddress(v.executor)] as const;
      expect(await s.hub.read.resultHash([...args])).toBe(v.resultHash);
      expect(await s.hub.read.resultLeaf([...args])).toBe(v.leaf);
      expect(await harness.read.leaf([...args])).toBe(v.leaf);
    }
  });

  it("default: vector Merkle proofs verify on chain, through a settled batch and verifyResult", async () => {
    for (const m of vectors.merkle) {
      const { header } = await (async () => {
        // Settle the vector root as a batch of the fixture's verifier set.
        const h0 = {
          configDigest: await s.registry.read.configDigest(),
          batchId: await s.takeBatchId(),
          root: m.root,
          count: m.values.length,
        };
        await s.hub.write.settleBatch([h0, await s.signHeader(h0, [0, 1, 2])]);
        return { header: h0 };
      })();
      for (const [i, value] of m.values.entries()) {
        const proof = m.proofs[i]!;
        const [requestId, modelId, inputHash, outputHash, executor] = value;
        expect(
          await harness.read.verifyProof([
            proof,
            m.root,
            leafOf({ requestId, modelId, inputHash, outputHash, executor }),
          ]),
        ).toBe(true);
        expect(
          await s.hub.read.verifyResult([
            header.batchId,
            requestId,
            modelId,
            inputHash,
            outputHash,
            getAddress(executor),
            proof,
          ]),
        ).toBe(true);
        // A proof for one value does not prove another.
        const other = m.values[(i + 1) % m.values.length]!;
        if (m.values.length > 1) {
          expect(
            await s.hub.read.verifyResult([
              header.batchId,
              other[0],
              other[1],
              other[2],
              other[3],
              getAddress(other[4]),
              proof,
            ]),
          ).toBe(false);
        }
      }
    }
  });

  it("default: the registry formula gives the vectors' config digests", async () => {
    for (const c of vectors.configDigest) {
      expect(
        await harness.read.configDigest([
          BigInt(c.chainId),
          getAddress(c.registry),
          BigInt(c.configCount),
          c.signers.map((x) => getAddress(x)),
          Number(c.f),
        ]),
      ).toBe(c.digest);
    }
    // And the deployed registry uses that same formula for itself.
    const [digest, count, f, signers] = await s.registry.read.verifierConfig();
    expect(await harness.read.configDigest([BigInt(s.chainId), s.registry.address, count, signers, f])).toBe(
      digest,
    );
  });

  it("default: vector signatures recover on chain to the signing key", async () => {
    for (const v of vectors.signatures ?? []) {
      const signer = privateKeyToAccount(v.privateKey).address;
      expect(await recoverAddress({ hash: v.digest, signature: v.signature })).toBe(signer);
      expect(await harness.read.recover([v.digest, v.signature])).toBe(signer);
    }
  });
});
