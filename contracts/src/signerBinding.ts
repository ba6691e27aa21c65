import type { Address, Hex, LocalAccount } from "viem";
import type { OperatorRole } from "./constants.js";

/** EIP-712 types of the operator key proof of possession (OperatorRegistry domain). */
export const signerBindingTypes = {
  SignerBinding: [
    { name: "operator", type: "address" },
    { name: "signer", type: "address" },
    { name: "role", type: "uint8" },
  ],
} as const;

/** Parameters of {@link signSignerBinding}. */
export interface SignerBindingParams {
  /** Chain the registry lives on. */
  chainId: number;
  /** OperatorRegistry address (the EIP-712 verifyingContract). */
  operatorRegistry: Address;
  /** Operator owner: the account that calls `register` / `rotateSigner`. */
  operator: Address;
  /** Role the key is bound for. */
  role: OperatorRole;
}

/** The EIP-712 domain of the OperatorRegistry: {name "opg", version "1", chainId, verifyingContract}. */
export function operatorRegistryDomain(chainId: number, operatorRegistry: Address) {
  return { name: "opg", version: "1", chainId, verifyingContract: operatorRegistry } as const;
}

/**
 * Signs `SignerBinding(operator, signer, role)` with the signing key, proving possession of it and its
 * consent to be bound to `operator`. Pass the result as `signerSignature` to `register` or `rotateSigner`.
 */
export function signSignerBinding(
  signer: Pick<LocalAccount, "address" | "signTypedData">,
  params: SignerBindingParams,
): Promise<Hex> {
  return signer.signTypedData({
    domain: operatorRegistryDomain(params.chainId, params.operatorRegistry),
    types: signerBindingTypes,
    primaryType: "SignerBinding",
    message: { operator: params.operator, signer: signer.address, role: params.role },
  });
}
