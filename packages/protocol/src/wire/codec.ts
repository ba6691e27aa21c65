import { dcborDecodeOptions, dcborEncodeOptions, decode, encode } from "cbor2";
import { type Address, bytesToHex, checksumAddress, type Hex, hexToBytes } from "viem";
import { isProofMode } from "../mode.js";
import { encodeCbor } from "./cborWriter.js";
import {
  type BatchProposalMessage,
  type BatchSignatureMessage,
  type CeremonyAnnouncementMessage,
  type EnclaveRegistrationSignatureMessage,
  MessageKind,
  type ResultMessage,
  WIRE_LIMITS,
  WIRE_VERSION,
} from "./messages.js";
import { WireError } from "./WireError.js";

/**
 * CBOR codec of the gossip messages (docs/protocol.md, "Gossip"). Encoding is deterministic
 * CBOR; decoding is strict: size cap first, then dCBOR rules (no indefinite lengths, shortest
 * forms, no trailing bytes), then exact field count, types and byte lengths. Every failure is a
 * WireError with a bounded code; nothing else escapes.
 */

function b(hex: Hex): Uint8Array {
  return hexToBytes(hex);
}

function safeUint(value: bigint | number, name: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (!Number.isSafeInteger(n) || n < 0 || BigInt(n) !== BigInt(value)) {
    throw new WireError("BAD_FIELD", `Field ${name} must be an integer from 0 to 2^53-1.`);
  }
  return n;
}

function uint256Bytes(value: bigint, name: string): Uint8Array {
  if (value < 0n || value >= 2n ** 256n) throw new WireError("BAD_FIELD", `Field ${name} must be a uint256.`);
  return hexToBytes(`0x${value.toString(16).padStart(64, "0")}`);
}

export function encodeResultMessage(m: ResultMessage): Uint8Array {
  const origin =
    m.origin.type === "onchain"
      ? [0]
      : [
          1,
          b(m.origin.requester),
          uint256Bytes(m.origin.nonce, "origin.nonce"),
          safeUint(m.origin.deadline, "origin.deadline"),
          b(m.origin.requesterSignature),
        ];
  // The hex fields go to the writer as they are (decoded into the output); for anything it does
  // not take (say, hex of odd length) cbor2 encodes the same array, with the same bytes or errors.
  const bytes =
    encodeCbor([
      WIRE_VERSION,
      MessageKind.RESULT,
      m.requestId,
      m.modelId,
      m.inputHash,
      m.outputHash,
      m.executor,
      m.mode,
      m.outputs,
      m.proof,
      m.signature,
      origin,
    ]) ??
    encode(
      [
        WIRE_VERSION,
        MessageKind.RESULT,
        b(m.requestId),
        b(m.modelId),
        b(m.inputHash),
        b(m.outputHash),
        b(m.executor),
        m.mode,
        m.outputs,
        m.proof,
        b(m.signature),
        origin,
      ],
      dcborEncodeOptions,
    );
  if (bytes.length > WIRE_LIMITS.resultMessageBytes) {
    throw new WireError(
      "TOO_LARGE",
      `Result message of ${bytes.length} bytes exceeds ${WIRE_LIMITS.resultMessageBytes}.`,
    );
  }
  return bytes;
}

export function encodeBatchSignatureMessage(m: BatchSignatureMessage): Uint8Array {
  return encode(
    [
      WIRE_VERSION,
      MessageKind.BATCH_SIGNATURE,
      b(m.configDigest),
      safeUint(m.batchId, "batchId"),
      b(m.root),
      m.count,
      b(m.verifier),
      b(m.signature),
    ],
    dcborEncodeOptions,
  );
}

export function encodeBatchProposalMessage(m: BatchProposalMessage): Uint8Array {
  if (m.resultHashes.length !== m.count || m.count > WIRE_LIMITS.batchResults) {
    throw new WireError(
      "BAD_FIELD",
      `A proposal lists count (${m.count}) result hashes, at most ${WIRE_LIMITS.batchResults}.`,
    );
  }
  const hashes = new Uint8Array(32 * m.count);
  m.resultHashes.forEach((h, i) => {
    hashes.set(b(h), 32 * i);
  });
  return encode(
    [
      WIRE_VERSION,
      MessageKind.BATCH_PROPOSAL,
      b(m.configDigest),
      safeUint(m.batchId, "batchId"),
      b(m.root),
      m.count,
      hashes,
      b(m.proposer),
      b(m.signature),
    ],
    dcborEncodeOptions,
  );
}

export function encodeEnclaveRegistrationSignatureMessage(
  m: EnclaveRegistrationSignatureMessage,
): Uint8Array {
  return encode(
    [
      WIRE_VERSION,
      MessageKind.ENCLAVE_REGISTRATION_SIGNATURE,
      b(m.enclave),
      b(m.measurement),
      safeUint(m.expiresAt, "expiresAt"),
      b(m.configDigest),
      b(m.verifier),
      b(m.signature),
    ],
    dcborEncodeOptions,
  );
}

function decodeArray(bytes: Uint8Array, cap: number, what: string): unknown[] {
  if (!(bytes instanceof Uint8Array)) throw new WireError("MALFORMED_CBOR", `${what} is not bytes.`);
  if (bytes.length > cap)
    throw new WireError("TOO_LARGE", `${what} of ${bytes.length} bytes exceeds ${cap}.`);
  let value: unknown;
  try {
    value = decode(bytes, dcborDecodeOptions);
  } catch (cause) {
    throw new WireError("MALFORMED_CBOR", `${what} is not valid deterministic CBOR.`, {
      details: cause instanceof Error ? cause.message : String(cause),
      cause,
    });
  }
  if (!Array.isArray(value) || value.length < 2)
    throw new WireError("BAD_SHAPE", `${what} is not a message array.`);
  if (value[0] !== WIRE_VERSION)
    throw new WireError("BAD_VERSION", `${what} has unknown version ${String(value[0])}.`);
  return value;
}

function field(value: unknown, name: string, length: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new WireError("BAD_FIELD", `Field ${name} must be ${length} bytes.`);
  }
  return value;
}

function hexField(value: unknown, name: string, length: number): Hex {
  return bytesToHex(field(value, name, length));
}

function addressField(value: unknown, name: string): Address {
  return checksumAddress(hexField(value, name, 20));
}

function uintField(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new WireError("BAD_FIELD", `Field ${name} must be an integer from 0 to ${max}.`);
  }
  return value;
}

function bytesField(value: unknown, name: string, max: number): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new WireError("BAD_FIELD", `Field ${name} must be a byte string.`);
  if (value.length > max)
    throw new WireError("TOO_LARGE", `Field ${name} of ${value.length} bytes exceeds ${max}.`);
  return value;
}

function decodeOrigin(value: unknown): ResultMessage["origin"] {
  if (!Array.isArray(value) || value.length === 0)
    throw new WireError("BAD_FIELD", "Field origin must be an array.");
  if (value[0] === 0 && value.length === 1) return { type: "onchain" };
  if (value[0] === 1 && value.length === 5) {
    return {
      type: "direct",
      requester: addressField(value[1], "origin.requester"),
      nonce: BigInt(hexField(value[2], "origin.nonce", 32)),
      deadline: BigInt(uintField(value[3], "origin.deadline")),
      requesterSignature: hexField(value[4], "origin.requesterSignature", 65),
    };
  }
  throw new WireError("BAD_FIELD", "Field origin has an unknown form.");
}

/** Decodes a results-topic message. */
export function decodeResultMessage(bytes: Uint8Array): ResultMessage {
  const v = decodeArray(bytes, WIRE_LIMITS.resultMessageBytes, "Result message");
  if (v[1] !== MessageKind.RESULT)
    throw new WireError("WRONG_KIND", `Expected a result message, got kind ${String(v[1])}.`);
  if (v.length !== 12)
    throw new WireError("BAD_SHAPE", `Result message has ${v.length} fields, expected 12.`);
  const mode = uintField(v[7], "mode", 255);
  if (!isProofMode(mode)) throw new WireError("BAD_FIELD", `Field mode has unknown value ${mode}.`);
  return {
    requestId: hexField(v[2], "requestId", 32),
    modelId: hexField(v[3], "modelId", 32),
    inputHash: hexField(v[4], "inputHash", 32),
    outputHash: hexField(v[5], "outputHash", 32),
    executor: addressField(v[6], "executor"),
    mode,
    outputs: bytesField(v[8], "outputs", WIRE_LIMITS.resultMessageBytes),
    proof: bytesField(v[9], "proof", WIRE_LIMITS.proofBytes),
    signature: hexField(v[10], "signature", 65),
    origin: decodeOrigin(v[11]),
  };
}

/** Decodes a batch-signatures-topic message. */
export function decodeBatchSignatureMessage(bytes: Uint8Array): BatchSignatureMessage {
  return signatureFromArray(
    decodeArray(bytes, WIRE_LIMITS.batchSignatureMessageBytes, "Batch signature message"),
  );
}

function signatureFromArray(v: unknown[]): BatchSignatureMessage {
  if (v[1] !== MessageKind.BATCH_SIGNATURE) {
    throw new WireError("WRONG_KIND", `Expected a batch signature message, got kind ${String(v[1])}.`);
  }
  if (v.length !== 8)
    throw new WireError("BAD_SHAPE", `Batch signature message has ${v.length} fields, expected 8.`);
  return {
    configDigest: hexField(v[2], "configDigest", 32),
    batchId: BigInt(uintField(v[3], "batchId")),
    root: hexField(v[4], "root", 32),
    count: uintField(v[5], "count", 0xffffffff),
    verifier: addressField(v[6], "verifier"),
    signature: hexField(v[7], "signature", 65),
  };
}

/** Decodes a batch proposal (batch-signatures topic, kind 3). */
export function decodeBatchProposalMessage(bytes: Uint8Array): BatchProposalMessage {
  return proposalFromArray(
    decodeArray(bytes, WIRE_LIMITS.batchProposalMessageBytes, "Batch proposal message"),
  );
}

function proposalFromArray(v: unknown[]): BatchProposalMessage {
  if (v[1] !== MessageKind.BATCH_PROPOSAL) {
    throw new WireError("WRONG_KIND", `Expected a batch proposal message, got kind ${String(v[1])}.`);
  }
  if (v.length !== 9)
    throw new WireError("BAD_SHAPE", `Batch proposal message has ${v.length} fields, expected 9.`);
  const count = uintField(v[5], "count", WIRE_LIMITS.batchResults);
  if (count === 0) throw new WireError("BAD_FIELD", "A proposal lists at least one result.");
  const hashes = field(v[6], "resultHashes", 32 * count);
  const resultHashes: Hex[] = [];
  for (let i = 0; i < count; i++) resultHashes.push(bytesToHex(hashes.subarray(32 * i, 32 * i + 32)));
  return {
    configDigest: hexField(v[2], "configDigest", 32),
    batchId: BigInt(uintField(v[3], "batchId")),
    root: hexField(v[4], "root", 32),
    count,
    resultHashes,
    proposer: addressField(v[7], "proposer"),
    signature: hexField(v[8], "signature", 65),
  };
}

/** Decodes an enclave registration signature (batch-signatures topic, kind 4). */
export function decodeEnclaveRegistrationSignatureMessage(
  bytes: Uint8Array,
): EnclaveRegistrationSignatureMessage {
  return enclaveRegistrationFromArray(
    decodeArray(bytes, WIRE_LIMITS.enclaveRegistrationMessageBytes, "Enclave registration signature message"),
  );
}

function enclaveRegistrationFromArray(v: unknown[]): EnclaveRegistrationSignatureMessage {
  if (v[1] !== MessageKind.ENCLAVE_REGISTRATION_SIGNATURE) {
    throw new WireError(
      "WRONG_KIND",
      `Expected an enclave registration signature message, got kind ${String(v[1])}.`,
    );
  }
  if (v.length !== 8) {
    throw new WireError(
      "BAD_SHAPE",
      `Enclave registration signature message has ${v.length} fields, expected 8.`,
    );
  }
  return {
    enclave: addressField(v[2], "enclave"),
    measurement: hexField(v[3], "measurement", 32),
    expiresAt: BigInt(uintField(v[4], "expiresAt")),
    configDigest: hexField(v[5], "configDigest", 32),
    verifier: addressField(v[6], "verifier"),
    signature: hexField(v[7], "signature", 65),
  };
}

export function encodeCeremonyAnnouncementMessage(m: CeremonyAnnouncementMessage): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(m.zkeySha256))
    throw new WireError("BAD_FIELD", "Field zkeySha256 must be 32 bytes.");
  const url = new TextEncoder().encode(m.url);
  if (url.length > WIRE_LIMITS.ceremonyUrlBytes)
    throw new WireError("TOO_LARGE", `Field url exceeds ${WIRE_LIMITS.ceremonyUrlBytes} bytes.`);
  return encode(
    [
      WIRE_VERSION,
      MessageKind.CEREMONY_ANNOUNCEMENT,
      b(m.listingId),
      safeUint(m.index, "index"),
      b(`0x${m.zkeySha256}`),
      safeUint(m.zkeyBytes, "zkeyBytes"),
      b(m.contributor),
      m.url,
      b(m.signature),
    ],
    dcborEncodeOptions,
  );
}

/** Decodes a ceremony announcement (batch-signatures topic, kind 5). */
export function decodeCeremonyAnnouncementMessage(bytes: Uint8Array): CeremonyAnnouncementMessage {
  return ceremonyAnnouncementFromArray(
    decodeArray(bytes, WIRE_LIMITS.ceremonyAnnouncementMessageBytes, "Ceremony announcement message"),
  );
}

function ceremonyAnnouncementFromArray(v: unknown[]): CeremonyAnnouncementMessage {
  if (v[1] !== MessageKind.CEREMONY_ANNOUNCEMENT) {
    throw new WireError("WRONG_KIND", `Expected a ceremony announcement message, got kind ${String(v[1])}.`);
  }
  if (v.length !== 9) {
    throw new WireError("BAD_SHAPE", `Ceremony announcement message has ${v.length} fields, expected 9.`);
  }
  const url = v[7];
  if (typeof url !== "string" || new TextEncoder().encode(url).length > WIRE_LIMITS.ceremonyUrlBytes) {
    throw new WireError(
      "BAD_FIELD",
      `Field url must be a string of at most ${WIRE_LIMITS.ceremonyUrlBytes} bytes.`,
    );
  }
  return {
    listingId: hexField(v[2], "listingId", 32),
    index: uintField(v[3], "index"),
    zkeySha256: hexField(v[4], "zkeySha256", 32).slice(2),
    zkeyBytes: uintField(v[5], "zkeyBytes"),
    contributor: addressField(v[6], "contributor"),
    url,
    signature: hexField(v[8], "signature", 65),
  };
}

/** A decoded batch-signatures-topic message. */
export type BatchTopicMessage =
  | { kind: "signature"; message: BatchSignatureMessage }
  | { kind: "proposal"; message: BatchProposalMessage }
  | { kind: "enclave"; message: EnclaveRegistrationSignatureMessage }
  | { kind: "ceremony"; message: CeremonyAnnouncementMessage };

/**
 * Decodes any batch-signatures-topic message: a batch signature (kind 2), a batch proposal
 * (kind 3), an enclave registration signature (kind 4) or a ceremony announcement (kind 5).
 */
export function decodeBatchTopicMessage(bytes: Uint8Array): BatchTopicMessage {
  const v = decodeArray(bytes, WIRE_LIMITS.batchProposalMessageBytes, "Batch topic message");
  if (v[1] === MessageKind.BATCH_PROPOSAL) return { kind: "proposal", message: proposalFromArray(v) };
  if (v[1] === MessageKind.ENCLAVE_REGISTRATION_SIGNATURE) {
    if (bytes.length > WIRE_LIMITS.enclaveRegistrationMessageBytes) {
      throw new WireError(
        "TOO_LARGE",
        `Enclave registration signature message of ${bytes.length} bytes exceeds ${WIRE_LIMITS.enclaveRegistrationMessageBytes}.`,
      );
    }
    return { kind: "enclave", message: enclaveRegistrationFromArray(v) };
  }
  if (v[1] === MessageKind.CEREMONY_ANNOUNCEMENT) {
    if (bytes.length > WIRE_LIMITS.ceremonyAnnouncementMessageBytes) {
      throw new WireError(
        "TOO_LARGE",
        `Ceremony announcement message of ${bytes.length} bytes exceeds ${WIRE_LIMITS.ceremonyAnnouncementMessageBytes}.`,
      );
    }
    return { kind: "ceremony", message: ceremonyAnnouncementFromArray(v) };
  }
  if (bytes.length > WIRE_LIMITS.batchSignatureMessageBytes) {
    throw new WireError(
      "TOO_LARGE",
      `Batch signature message of ${bytes.length} bytes exceeds ${WIRE_LIMITS.batchSignatureMessageBytes}.`,
    );
  }
  return { kind: "signature", message: signatureFromArray(v) };
}
