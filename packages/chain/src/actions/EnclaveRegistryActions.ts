import type { Address, Hex } from "viem";
import { readContract } from "viem/actions";
import { enclaveRegistryAbi, opgErrorsAbi } from "../abis.js";
import type { TxResult } from "../tx/TxSender.js";
import { ContractActions, classified } from "./ContractActions.js";
import type { EnclaveRegistrationRecord, WriteOptions } from "./types.js";

/** Typed reads and writes of the EnclaveRegistry (TEE mode's enclave keys). */
export class EnclaveRegistryActions extends ContractActions {
  /** The registration of `enclave` (zero measurement and expiry when it has none). */
  async enclave(enclave: Address): Promise<{ measurement: Hex; expiresAt: bigint }> {
    const [measurement, expiresAt] = await classified(() =>
      readContract(this.client, {
        address: this.address,
        abi: enclaveRegistryAbi,
        functionName: "enclave",
        args: [enclave],
      }),
    );
    return { measurement, expiresAt };
  }

  /** Registers an enclave key with f + 1 signatures of the current verifier set over `registration`. */
  registerEnclave(
    registration: EnclaveRegistrationRecord,
    signatures: readonly Hex[],
    options: WriteOptions = {},
  ): Promise<TxResult> {
    return this.sender.writeContract({
      address: this.address,
      abi: enclaveRegistryAbi,
      functionName: "registerEnclave",
      args: [registration, signatures],
      errorAbi: opgErrorsAbi,
      label: options.label ?? "registerEnclave",
      signal: options.signal,
    });
  }
}
