import type { OpgDeployment } from "@opg/contracts";
import type { Client } from "viem";
import type { TxSender } from "../tx/TxSender.js";
import { InferenceHubActions } from "./InferenceHubActions.js";
import { ModelRegistryActions } from "./ModelRegistryActions.js";
import { OperatorRegistryActions } from "./OperatorRegistryActions.js";

export type OpgContractsDeps = {
  client: Client;
  /** Needed for writes; its account is the `msg.sender` of every write. */
  sender?: TxSender | undefined;
};

/** The three opg contracts of one deployment, as typed actions. */
export class OpgContracts {
  readonly deployment: OpgDeployment;
  readonly registry: OperatorRegistryActions;
  readonly models: ModelRegistryActions;
  readonly hub: InferenceHubActions;

  constructor(deployment: OpgDeployment, deps: OpgContractsDeps) {
    this.deployment = deployment;
    this.registry = new OperatorRegistryActions(deployment.operatorRegistry, deps);
    this.models = new ModelRegistryActions(deployment.modelRegistry, deps);
    this.hub = new InferenceHubActions(deployment.inferenceHub, { ...deps, models: this.models });
  }
}
