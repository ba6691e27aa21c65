/**
 * The opg contract ABIs (`as const`, from `@opg/contracts`), re-exported so callers of this package
 * need no second import, plus the union of every custom error for decoding reverts.
 */
import {
  enclaveRegistryAbi,
  inferenceConsumerAbi,
  inferenceHubAbi,
  modelRegistryAbi,
  operatorRegistryAbi,
} from "@opg/contracts";
import type { Abi } from "viem";

type AbiError = Extract<Abi[number], { type: "error" }>;

export { enclaveRegistryAbi, inferenceConsumerAbi, inferenceHubAbi, modelRegistryAbi, operatorRegistryAbi };

/** Every custom error of the opg contracts (the hub bubbles up registry errors), deduplicated. */
export const opgErrorsAbi: Abi = (() => {
  const seen = new Map<string, AbiError>();
  for (const abi of [
    inferenceHubAbi,
    operatorRegistryAbi,
    modelRegistryAbi,
    enclaveRegistryAbi,
  ] as readonly Abi[]) {
    for (const item of abi) {
      if (item.type !== "error") continue;
      seen.set(`${item.name}(${item.inputs.map((i) => i.type).join(",")})`, item);
    }
  }
  return [...seen.values()];
})();
