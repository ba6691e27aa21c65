import { ChainError, type OpgContracts, type TxResult } from "@opg/chain";
import { OpgError } from "@opg/protocol";
import { type Address, type Client, type PrivateKeyAccount, zeroAddress } from "viem";
import { getBalance } from "viem/actions";
import { eth } from "./OperatorHealth.js";

/** Gas a registration may cost on top of the stake (generous: a few hundred thousand gas). */
const GAS_RESERVE = 5n * 10n ** 15n; // 0.005 ETH

export type RegisterOutcome =
  | { action: "registered"; signer: Address; stake: bigint; tx: TxResult["hash"] }
  | { action: "unchanged"; signer: Address; owner: Address; stake: bigint };

/**
 * `register`: checks first what would make the transaction fail, with the fix in the message
 * (stake under the role's minimum, signer not funded for stake + gas), then registers the signing
 * key as its own operator. Registering an already registered key changes nothing.
 */
export async function registerOperator(params: {
  contracts: OpgContracts;
  client: Client;
  account: PrivateKeyAccount;
  role: "executor" | "verifier";
  stake: bigint;
  cliName: string;
}): Promise<RegisterOutcome> {
  const { contracts, client, account, role, stake, cliName } = params;
  const registry = contracts.registry;
  const signer = account.address;
  const info = await registry.getSignerInfo(signer);
  if (info.owner !== zeroAddress) {
    const op = await registry.getOperator(info.owner);
    return { action: "unchanged", signer, owner: info.owner, stake: op.stake };
  }
  const mins = await registry.getMinStakes();
  const min = role === "executor" ? mins.executor : mins.verifier;
  if (stake < min) {
    throw new OpgError(
      "STAKE_TOO_LOW",
      `A stake of ${eth(stake)} is under the ${role} minimum of ${eth(min)} (OperatorRegistry ${registry.address}): run \`${cliName} register --stake ${trimEth(min)}\` or more.`,
    );
  }
  const balance = await getBalance(client, { address: signer });
  const needed = stake + GAS_RESERVE;
  if (balance < needed) {
    throw new OpgError(
      "SIGNER_UNFUNDED",
      `The signer ${signer} holds ${eth(balance)}; registering needs the ${eth(stake)} stake plus gas (about ${eth(needed)} in all): send at least ${eth(needed - balance)} to ${signer} (on a test chain the network owner can: opg-admin fund ${signer} ${trimEth(needed)}).`,
    );
  }
  try {
    const tx = await registry.register({ role, signer: account, stake });
    return { action: "registered", signer, stake, tx: tx.hash };
  } catch (err) {
    if (err instanceof ChainError && err.code === "INSUFFICIENT_FUNDS") {
      throw new OpgError(
        "SIGNER_UNFUNDED",
        `The signer ${signer} cannot pay the ${eth(stake)} stake plus gas: send ETH to ${signer}.`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** `1` for 1 ETH, `0.5` for half: an amount as the `--stake` flag takes it. */
export function trimEth(wei: bigint): string {
  return eth(wei).replace(/ ETH$/, "");
}
