import { InferenceHubActions } from "@opg/chain";
import type { Logger, Metrics } from "@opg/daemon";
import type { Address, Client } from "viem";

/**
 * `opg_<area>_fees_earned_wei`: what the hub holds for this node's key (`InferenceHub.balanceOf`:
 * executor fees, the settling verifier's fee share, callback gas reimbursements), earned and not yet
 * withdrawn (`<daemon> withdraw`). Read from the chain every `intervalMs`; a failed read keeps the last value.
 */
export class FeesGauge {
  readonly name = "fees";
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly hub: InferenceHubActions;
  private last: bigint | undefined;
  private readonly gauge: { set(v: number): void };

  constructor(
    private readonly options: { area: "exec" | "verify"; intervalMs: number },
    private readonly deps: {
      client: Client;
      hub: Address;
      account: Address;
      metrics: Metrics;
      logger: Logger;
    },
  ) {
    this.hub = new InferenceHubActions(deps.hub, { client: deps.client });
    this.gauge = deps.metrics.gauge({
      area: options.area,
      name: "fees_earned",
      unit: "wei",
      help: "Fees the hub holds for this node's key (balanceOf: earned, not yet withdrawn), wei.",
    });
  }

  /** The last balance read (undefined before the first read). */
  get balance(): bigint | undefined {
    return this.last;
  }

  async refresh(): Promise<void> {
    try {
      this.last = await this.hub.balanceOf(this.deps.account);
      this.gauge.set(Number(this.last));
    } catch (err) {
      this.deps.logger.debug({ err }, "reading the hub balance failed");
    }
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
