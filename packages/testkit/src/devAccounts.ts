import type { Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** The mnemonic every Hardhat (and anvil) development chain funds; never for real funds. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of development account `index` (each holds 10,000 ETH on a fresh dev chain). */
export function devPrivateKey(index: number): Hex {
  const key = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error(`no private key for dev account ${index}`);
  return `0x${Buffer.from(key).toString("hex")}`;
}
