import { concat, type Hex, keccak256 } from "viem";
import { MAX_PCR_INDEX, type NitroDocument, PCR_BYTES } from "../document/NitroDocument.js";
import { AttestationConfigError } from "../errors/AttestationConfigError.js";
import { equalBytes, isAllZero, toHex, tryToBytes } from "../util/bytes.js";

/**
 * PCR values that identify one enclave image: index → 48-byte value as 0x-hex. Usually PCR0
 * (image), PCR1 (kernel) and PCR2 (application), optionally PCR8 (image signing certificate).
 */
export type PcrSet = Readonly<Record<number, Hex>>;

/** The images accepted for a model (or an enclave role): a document must match one set exactly. */
export type PcrAllowlist = readonly PcrSet[];

type CompiledSet = readonly { index: number; value: Uint8Array }[];
const compiled = new WeakMap<PcrAllowlist, readonly CompiledSet[]>();

/** Validates an allowlist once (and memoises it): non-empty sets, indices 0..31, 48-byte values. */
export function compilePcrAllowlist(allowlist: PcrAllowlist): readonly CompiledSet[] {
  const cached = compiled.get(allowlist);
  if (cached) return cached;
  const sets = allowlist.map((set, i) => {
    const entries = Object.entries(set);
    if (entries.length === 0) {
      throw new AttestationConfigError(
        "BAD_PCR_ALLOWLIST",
        `PCR allowlist entry ${i} is empty (it would match anything).`,
      );
    }
    return entries.map(([key, hex]) => {
      const index = Number(key);
      const value = typeof hex === "string" ? tryToBytes(hex as Hex) : undefined;
      if (!Number.isInteger(index) || index < 0 || index > MAX_PCR_INDEX || value?.length !== PCR_BYTES) {
        throw new AttestationConfigError(
          "BAD_PCR_ALLOWLIST",
          `PCR allowlist entry ${i} has a bad PCR${key}.`,
          {
            details: `indices are 0..${MAX_PCR_INDEX}; values are ${PCR_BYTES}-byte 0x-hex`,
          },
        );
      }
      return { index, value };
    });
  });
  compiled.set(allowlist, sets);
  return sets;
}

/** True when the PCRs equal every value of at least one set of the allowlist. */
export function matchesPcrAllowlist(pcrs: ReadonlyMap<number, Uint8Array>, allowlist: PcrAllowlist): boolean {
  return compilePcrAllowlist(allowlist).some((set) =>
    set.every(({ index, value }) => {
      const actual = pcrs.get(index);
      return actual !== undefined && equalBytes(actual, value);
    }),
  );
}

/**
 * An enclave in debug mode reports PCR0, PCR1 and PCR2 as all zeros (its memory is inspectable,
 * so its attestation proves nothing about what it computes).
 */
export function isDebugEnclave(pcrs: ReadonlyMap<number, Uint8Array>): boolean {
  return [0, 1, 2].every((i) => {
    const pcr = pcrs.get(i);
    return pcr !== undefined && isAllZero(pcr);
  });
}

/** The PCR set of a document, for building allowlists (default PCR0, PCR1, PCR2). */
export function pcrSetOf(
  document: Pick<NitroDocument, "pcrs">,
  indices: readonly number[] = [0, 1, 2],
): PcrSet {
  const set: Record<number, Hex> = {};
  for (const i of indices) {
    const pcr = document.pcrs.get(i);
    if (pcr !== undefined) set[i] = toHex(pcr);
  }
  return set;
}

/**
 * The enclave image measurement registered on chain next to an enclave key:
 * `keccak256(PCR0 ‖ PCR1 ‖ PCR2)` (144 bytes; Solidity `keccak256(abi.encodePacked(pcr0, pcr1, pcr2))`).
 */
export function enclaveMeasurement(pcrs: ReadonlyMap<number, Uint8Array>): Hex {
  const parts = [0, 1, 2].map((i) => {
    const pcr = pcrs.get(i);
    if (pcr === undefined) throw new AttestationConfigError("BAD_OPTIONS", `PCR${i} is missing.`);
    return toHex(pcr);
  });
  return keccak256(concat(parts));
}

const measurements = new WeakMap<PcrAllowlist, ReadonlySet<string>>();

/**
 * True when one set of the allowlist is exactly {PCR0, PCR1, PCR2} with this measurement. Used for
 * enclave keys known only by their registered measurement (no raw PCRs), so sets naming more
 * PCRs (e.g. PCR8) never match that way.
 */
export function allowlistHasMeasurement(allowlist: PcrAllowlist, measurement: Hex): boolean {
  let set = measurements.get(allowlist);
  if (!set) {
    set = new Set(
      compilePcrAllowlist(allowlist)
        .filter((s) => s.length === 3 && [0, 1, 2].every((i) => s.some((e) => e.index === i)))
        .map((s) => enclaveMeasurement(new Map(s.map((e) => [e.index, e.value]))).toLowerCase()),
    );
    measurements.set(allowlist, set);
  }
  return set.has(measurement.toLowerCase());
}
