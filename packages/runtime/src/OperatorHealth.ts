import { OperatorRegistryActions } from "@opg/chain";
import type { Logger, Module } from "@opg/daemon";
import { type Address, type Client, formatEther, zeroAddress } from "viem";
import { getBalance, getBlockNumber } from "viem/actions";

export type OperatorHealthOptions = {
  role: "executor" | "verifier";
  rpcUrl: string;
  /** The CLI name used in the fixes a reason names (`opg-exec`, `opg-verify`). */
  cliName: string;
  /** Time between two checks against the chain. */
  intervalMs: number;
  /** Below this balance (wei) the signer cannot pay for its transactions (0: it sends none). */
  minBalance: bigint;
};

export type OperatorHealthDeps = {
  client: Client;
  operatorRegistry: Address;
  signer: Address;
  logger: Logger;
  /** Connected libp2p peers now. */
  peers: () => number;
};

/** Default floor of the signer's balance: gas for a few settlements on a cheap chain. */
export const DEFAULT_MIN_SIGNER_BALANCE = 10n ** 15n; // 0.001 ETH

/** `1.5 ETH`: amounts in messages always carry their unit. */
export function eth(wei: bigint): string {
  return `${formatEther(wei)} ETH`;
}

/**
 * Whether this node can do its job, checked against the chain every `intervalMs`: chain reachable,
 * signer funded, registered and active with the minimum stake, (verifiers) in the active verifier
 * set, and at least one p2p peer. Each problem is a reason of `/health`'s `degraded`, naming the
 * address or URL it is about and the fix; a new reason is logged once as a warning.
 */
export class OperatorHealth implements Module {
  readonly name = "operator";
  private readonly registry: OperatorRegistryActions;
  private chainProblems: string[] = [];
  private logged = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private lastCheck: { at: number; balance?: string; stake?: string; inVerifierSet?: boolean } = { at: 0 };

  constructor(
    readonly options: OperatorHealthOptions,
    private readonly deps: OperatorHealthDeps,
  ) {
    this.registry = new OperatorRegistryActions(deps.operatorRegistry, { client: deps.client });
  }

  async start(): Promise<void> {
    await this.check(false); // peers are still connecting: the first reasons are logged at the next check
    const tick = () => {
      this.timer = setTimeout(() => {
        this.checking = this.check().finally(tick);
      }, this.options.intervalMs);
      this.timer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  problems(): string[] {
    const out = [...this.chainProblems];
    if (this.deps.peers() === 0)
      out.push(
        "no p2p peers: results cannot be gossiped; set p2p.peers (or p2p.bootstrap) to other nodes' /ip4/…/tcp/…/p2p/… addresses",
      );
    return out;
  }

  health(): Record<string, unknown> {
    return { role: this.options.role, signer: this.deps.signer, ...this.lastCheck };
  }

  /** One check against the chain; never throws (an unreachable chain is itself a reason). */
  async check(log = true): Promise<void> {
    const { role, rpcUrl, cliName, minBalance } = this.options;
    const signer = this.deps.signer;
    const found: string[] = [];
    try {
      await getBlockNumber(this.deps.client, { cacheTime: 0 });
      const balance = await getBalance(this.deps.client, { address: signer });
      this.lastCheck = { at: Date.now(), balance: eth(balance) };
      if (balance < minBalance)
        found.push(
          `signer ${signer} holds ${eth(balance)}, under the ${eth(minBalance)} it needs for gas: send ETH to ${signer}`,
        );
      const info = await this.registry.getSignerInfo(signer);
      if (info.owner === zeroAddress) {
        found.push(
          `signer ${signer} is not registered in the OperatorRegistry ${this.deps.operatorRegistry}: run \`${cliName} register --stake <ETH>\``,
        );
      } else {
        const [op, mins] = await Promise.all([
          this.registry.getOperator(info.owner),
          this.registry.getMinStakes(),
        ]);
        const min = role === "executor" ? mins.executor : mins.verifier;
        this.lastCheck.stake = eth(op.stake);
        if (info.retiredAt !== 0n || op.signer.toLowerCase() !== signer.toLowerCase())
          found.push(
            `signer ${signer} was replaced by ${op.signer} for operator ${info.owner}: configure the current key`,
          );
        else if (op.role !== role)
          found.push(`operator ${info.owner} is registered as ${op.role ?? "nothing"}, not as ${role}`);
        else if (op.status !== "active")
          found.push(`operator ${info.owner} is ${op.status}: it no longer counts as an active ${role}`);
        else if (op.stake < min)
          found.push(
            `operator ${info.owner} stakes ${eth(op.stake)}, under the ${role} minimum of ${eth(min)}: add ${eth(min - op.stake)} (OperatorRegistry.addStake from ${info.owner})`,
          );
      }
      if (role === "verifier") {
        const { member } = await this.registry.verifierIndex(signer);
        this.lastCheck.inVerifierSet = member;
        if (!member)
          found.push(
            `verifier ${signer} is not in the active verifier set: results it verifies do not settle; the network owner adds it (opg-admin verifiers set … ${signer})`,
          );
      }
    } catch (err) {
      found.push(
        `chain unreachable at ${rpcUrl} (${err instanceof Error ? firstLine(err.message) : String(err)}): check chain.rpcUrl and that the chain is up`,
      );
    }
    this.chainProblems = found;
    if (log) this.logChanges(this.problems());
  }

  private logChanges(now: readonly string[]): void {
    for (const reason of now) {
      if (!this.logged.has(reason)) this.deps.logger.warn({ reason }, "degraded");
    }
    if (now.length === 0 && this.logged.size > 0) this.deps.logger.info("healthy again");
    this.logged = new Set(now);
  }
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.slice(0, 200);
}
