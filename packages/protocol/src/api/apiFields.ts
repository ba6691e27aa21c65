import type { Address, Hex } from "viem";
import { isAddress } from "viem";
import * as z from "zod";
import { ProofMode, type ProofModeName } from "../mode.js";

/** A 0x-prefixed 32-byte hex string (ids and hashes), as the HTTP APIs write them. */
export const hex32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed 32-byte hex string")
  .transform((v) => v as Hex);

/** 0x-prefixed hex bytes of any length. */
export const hexBytesSchema = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})*$/, "0x-prefixed hex bytes")
  .transform((v) => v as Hex);

/** A 65-byte `r ‖ s ‖ v` signature. */
export const signatureSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte hex signature")
  .transform((v) => v as Hex);

/** A 20-byte address (checksum not required). */
export const addressSchema = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), "an address")
  .transform((v) => v as Address);

/** A uint64 id (batch ids) as a decimal string: JSON numbers lose precision above 2^53. */
export const decimalIdSchema = z.string().regex(/^[0-9]{1,20}$/, "a decimal integer");

/** A uint256 as a decimal string (or a safe JSON integer), read as a bigint. */
export const uintSchema = z
  .union([z.string().regex(/^[0-9]{1,78}$/, "a decimal integer"), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

const MODE_NAMES = ["NONE", "ZK", "TEE"] as const satisfies readonly ProofModeName[];

/**
 * The proof mode over HTTP: its name, `NONE`, `ZK` or `TEE`, in requests and answers alike. The
 * numeric code (`ProofMode`) is what contracts and gossip messages carry; parsing turns the name into it.
 */
export const proofModeSchema = z.enum(MODE_NAMES).transform((name) => ProofMode[name]);
