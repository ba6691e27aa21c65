import { type Address, createPublicClient, createWalletClient, getAddress, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { devPrivateKey } from "./devAccounts.js";

/**
 * Deploys raw creation bytecode (e.g. a model's generated Groth16 verifier, compiled with
 * @opg/zk's `compileVerifierSolidity`) on a local dev chain and returns its address. Sent from
 * dev account 19 by default, an account no other role of `deployLocalNetwork` uses, so the
 * network's own addresses do not move.
 */
export async function deployBytecode(
  rpcUrl: string,
  bytecode: Hex,
  options: { key?: Hex } = {},
): Promise<Address> {
  const transport = http(rpcUrl);
  const publicClient = createPublicClient({ chain: hardhat, transport, pollingInterval: 100 });
  const wallet = createWalletClient({
    account: privateKeyToAccount(options.key ?? devPrivateKey(19)),
    chain: hardhat,
    transport,
  });
  const hash = await wallet.deployContract({ abi: [], bytecode });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new Error(`Deploying bytecode failed (tx ${hash}).`);
  }
  return getAddress(receipt.contractAddress);
}
