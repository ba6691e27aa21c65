import { type Address, bytesToHex, type Hex, hexToBytes, keccak256, toHex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { configDigest } from "./config/configDigest.js";
import {
  batchRootDigest,
  batchRootStructHash,
  domainSeparator,
  enclaveRegistrationDigest,
  enclaveRegistrationStructHash,
  executionResultDigest,
  executionResultStructHash,
  inferenceRequestDigest,
  inferenceRequestStructHash,
  TYPE_HASHES,
} from "./eip712/digest.js";
import { signDigest } from "./eip712/signature.js";
import { EIP712_NAME, EIP712_VERSION, type OpgDomain } from "./eip712/types.js";
import { modelIdFromBytes } from "./hash/modelId.js";
import { type ResultFields, resultHash } from "./hash/resultHash.js";
import { ResultBatchTree, resultLeaf } from "./merkle/ResultBatchTree.js";
import { ProofMode } from "./mode.js";
import { allocTensorData, type DType, type TensorMap } from "./tensor/dtype.js";
import { encodeTensors } from "./tensor/encoding.js";
import {
  encodeBatchSignatureMessage,
  encodeEnclaveRegistrationSignatureMessage,
  encodeResultMessage,
} from "./wire/codec.js";

/**
 * Builds the protocol test vectors (committed as vectors/protocol-vectors.json and checked by the
 * TypeScript and Solidity tests). Everything is derived from fixed labels: same output every run.
 */

const h = (label: string): Hex => keccak256(toHex(label));
const addr = (label: string): Address => `0x${h(label).slice(26)}` as Address;

/** Hex of raw little-endian element bytes: exact for every dtype, floats included. */
function rawData(map: TensorMap): Record<string, { dtype: DType; dims: number[]; data: Hex }> {
  const out: Record<string, { dtype: DType; dims: number[]; data: Hex }> = {};
  for (const [name, t] of Object.entries(map)) {
    out[name] = {
      dtype: t.dtype,
      dims: [...t.dims],
      data: bytesToHex(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)),
    };
  }
  return out;
}

/** Rebuilds a tensor map from its vector form. */
export function tensorsFromVector(v: Record<string, { dtype: DType; dims: number[]; data: Hex }>): TensorMap {
  const out: TensorMap = {};
  for (const [name, t] of Object.entries(v)) {
    const bytes = hexToBytes(t.data);
    const count = t.dims.reduce((a, b) => a * b, 1);
    const data = allocTensorData(t.dtype, count);
    new Uint8Array(data.buffer).set(bytes);
    out[name] = { dtype: t.dtype, dims: t.dims, data } as TensorMap[string];
  }
  return out;
}

function sampleTensors(): TensorMap[] {
  return [
    { x: { dtype: "float32", dims: [1, 4], data: new Float32Array([0.5, -1.25, 3.0e-8, Number.NaN]) } },
    {
      input_ids: { dtype: "int64", dims: [2, 3], data: new BigInt64Array([1n, -2n, 3n, 2n ** 62n, 0n, -1n]) },
      attention_mask: { dtype: "bool", dims: [2, 3], data: new Uint8Array([1, 1, 0, 1, 0, 0]) },
      é: { dtype: "float16", dims: [2], data: new Uint16Array([0x3c00, 0xc000]) },
    },
    {
      scalar: { dtype: "int8", dims: [], data: new Int8Array([-7]) },
      empty: { dtype: "uint8", dims: [0, 3], data: new Uint8Array(0) },
      w: { dtype: "int32", dims: [3], data: new Int32Array([-2147483648, 0, 2147483647]) },
    },
  ];
}

export function buildProtocolVectors() {
  const domain: OpgDomain = { chainId: 31337, verifyingContract: addr("opg/vectors/hub") };
  const requester = addr("opg/vectors/requester");
  const executor = addr("opg/vectors/executor");

  const tensors = sampleTensors().map((map) => {
    const encoding = encodeTensors(map);
    return { tensors: rawData(map), encoding: bytesToHex(encoding), hash: keccak256(encoding) };
  });

  const modelBytes = hexToBytes(h("opg/vectors/model-bytes"));
  const modelId = modelIdFromBytes(modelBytes);

  const requests = [0n, 1n, 2n ** 255n].map((nonce, i) => ({
    requester,
    modelId,
    inputHash: tensors[i % tensors.length]!.hash,
    mode: ([ProofMode.NONE, ProofMode.ZK, ProofMode.TEE] as const)[i]!,
    nonce,
    deadline: 1_900_000_000n + BigInt(i),
  }));
  const inferenceRequest = requests.map((r) => ({
    message: { ...r, nonce: r.nonce.toString(), deadline: r.deadline.toString() },
    structHash: inferenceRequestStructHash(r),
    digest: inferenceRequestDigest(domain, r),
  }));

  const results: ResultFields[] = requests.map((r, i) => ({
    requestId: inferenceRequestDigest(domain, r),
    modelId,
    inputHash: r.inputHash,
    outputHash: h(`opg/vectors/output/${i}`),
    executor,
  }));
  const executionResult = results.map((r, i) => {
    const message = { ...r, mode: requests[i]!.mode };
    return {
      message,
      structHash: executionResultStructHash(message),
      digest: executionResultDigest(domain, message),
    };
  });

  const batches = [
    { configDigest: h("opg/vectors/config"), batchId: 1n, root: h("opg/vectors/root/1"), count: 1 },
    {
      configDigest: h("opg/vectors/config"),
      batchId: 2n ** 64n - 1n,
      root: h("opg/vectors/root/2"),
      count: 1024,
    },
  ];
  const batchRoot = batches.map((b) => ({
    message: { ...b, batchId: b.batchId.toString() },
    structHash: batchRootStructHash(b),
    digest: batchRootDigest(domain, b),
  }));

  const registrations = [
    {
      enclave: addr("opg/vectors/enclave/0"),
      measurement: h("opg/vectors/measurement/0"),
      expiresAt: 1_900_010_800n,
      configDigest: h("opg/vectors/config"),
    },
    {
      enclave: addr("opg/vectors/enclave/1"),
      measurement: h("opg/vectors/measurement/1"),
      expiresAt: 2n ** 64n - 1n,
      configDigest: h("opg/vectors/config/2"),
    },
  ];
  const enclaveRegistration = registrations.map((r) => ({
    message: { ...r, expiresAt: r.expiresAt.toString() },
    structHash: enclaveRegistrationStructHash(r),
    digest: enclaveRegistrationDigest(domain, r),
  }));

  const manyResults: ResultFields[] = Array.from({ length: 7 }, (_, i) => ({
    requestId: h(`opg/vectors/merkle/request/${i}`),
    modelId,
    inputHash: h(`opg/vectors/merkle/input/${i}`),
    outputHash: h(`opg/vectors/merkle/output/${i}`),
    executor: addr(`opg/vectors/merkle/executor/${i % 2}`),
  }));
  const merkle = [results.slice(0, 1), manyResults].map((set) => {
    const tree = ResultBatchTree.of(set);
    return {
      values: set.map((r) => [r.requestId, r.modelId, r.inputHash, r.outputHash, r.executor]),
      root: tree.root,
      proofs: set.map((r) => tree.proof(r.requestId)),
    };
  });

  const signers = [
    addr("opg/vectors/verifier/0"),
    addr("opg/vectors/verifier/1"),
    addr("opg/vectors/verifier/2"),
  ];
  const registry = addr("opg/vectors/registry");
  const configDigests = [
    { chainId: 31337, registry, configCount: 1n, signers, f: 1 },
    { chainId: 1, registry, configCount: 7n, signers: signers.slice(0, 1), f: 0 },
  ].map((c) => ({ ...c, configCount: c.configCount.toString(), digest: configDigest(c) }));

  const privateKey = h("opg/vectors/private-key");
  const signatures = [executionResult[0]!.digest, batchRoot[0]!.digest, enclaveRegistration[0]!.digest].map(
    (digest) => ({
      privateKey,
      digest,
      signature: signDigest(privateKey, digest),
    }),
  );

  const wire = {
    result: bytesToHex(
      encodeResultMessage({
        ...results[0]!,
        mode: ProofMode.NONE,
        outputs: hexToBytes(tensors[0]!.encoding),
        proof: new Uint8Array(0),
        signature: signatures[0]!.signature,
        origin: {
          type: "direct",
          requester,
          nonce: requests[0]!.nonce,
          deadline: requests[0]!.deadline,
          requesterSignature: signatures[1]!.signature,
        },
      }),
    ),
    batchSignature: bytesToHex(
      encodeBatchSignatureMessage({
        ...batches[0]!,
        verifier: signers[0]!,
        signature: signatures[1]!.signature,
      }),
    ),
    enclaveRegistrationSignature: bytesToHex(
      encodeEnclaveRegistrationSignatureMessage({
        ...registrations[0]!,
        verifier: privateKeyToAddress(privateKey),
        signature: signatures[2]!.signature,
      }),
    ),
  };

  return {
    domain: { name: EIP712_NAME, version: EIP712_VERSION, ...domain },
    domainSeparator: domainSeparator(domain),
    typeHashes: TYPE_HASHES,
    tensors,
    modelId: [{ bytes: bytesToHex(modelBytes), modelId }],
    eip712: { inferenceRequest, executionResult, batchRoot, enclaveRegistration },
    resultHash: results.map((r) => ({ ...r, resultHash: resultHash(r), leaf: resultLeaf(r) })),
    merkle,
    configDigest: configDigests,
    signatures,
    wire,
  };
}

export type ProtocolVectors = ReturnType<typeof buildProtocolVectors>;
