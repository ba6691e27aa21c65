import { InferenceHubActions } from "@opg/chain";
import { type Logger, type Metrics, PeriodicTask } from "@opg/daemon";
import type { Address, Client } from "viem";
import { feesMetricDefs } from "./chainMetricDefs.js";

/**
 * `opg_<area>_fees_earned_wei`: what the hub holds for this node's key (`InferenceHub.balanceOf`:
 * executor fees, the settling verifier's fee share, callback gas reimbursements), earned and not yet
 * withdrawn (`<daemon> withdraw`), and `opg_<area>_verifier_fee_share_bps`: the hub's current fee split (the
 * settling verifier's share of each delivered fee, basis points; the executor gets the rest). Read from the
 * chain every `intervalMs`; a failed read keeps the last value.
 */
export class FeesGauge {
  readonly name = "fees";
  /** Reads every `intervalMs`, and once on start. */
  private readonly reads: PeriodicTask;
  private readonly hub: InferenceHubActions;
  private last: bigint | undefined;
  private readonly gauge: { set(v: number): void };
  private readonly share: { set(v: number): void };
  private lastShare: number | undefined;

  constructor(
    options: { area: "exec" | "verify"; intervalMs: number },
    private readonly deps: {
      client: Client;
      hub: Address;
      account: Address;
      metrics: Metrics;
      logger: Logger;
    },
  ) {
    this.hub = new InferenceHubActions(deps.hub, { client: deps.client });
    const m = deps.metrics.register(feesMetricDefs(options.area));
    this.gauge = m.earned;
    this.share = m.verifierShare;
    this.reads = new PeriodicTask(
      { name: this.name, intervalMs: options.intervalMs, runOnStart: true },
      () => this.read(),
      { logger: deps.logger },
    );
  }

  /** The hub's verifier fee share, basis points (undefined before the first read). */
  get verifierFeeBps(): number | undefined {
    return this.lastShare;
  }

  /** The last balance read (undefined before the first read). */
  get balance(): bigint | undefined {
    return this.last;
  }

  /** Reads the balance and the fee share now (or joins the read running). */
  refresh(): Promise<void> {
    return this.reads.runNow();
  }

  private async read(): Promise<void> {
    try {
      const [balance, share] = await Promise.all([
        this.hub.balanceOf(this.deps.account),
        this.hub.verifierFeeBps(),
      ]);
      this.last = balance;
      this.gauge.set(Number(balance));
      this.lastShare = share;
      this.share.set(share);
    } catch (err) {
      this.deps.logger.debug({ err }, "reading the hub balance failed");
    }
  }

  start(): void {
    this.reads.start();
  }

  stop(): Promise<void> {
    return this.reads.stop();
  }
}
