import { inferenceHubAbi, modelRegistryAbi, operatorRegistryAbi } from "@opg/chain";
import { createOpgClient, type OpgClient } from "@opg/sdk";
import { type Address, createPublicClient, type Hex, http, type PublicClient } from "viem";
import { generatePrivateKey } from "viem/accounts";
import type { ExplorerPageConfig } from "../src/ExplorerPageConfig.js";

/** A model as an executor lists it (`GET /v1/models`). */
export type ExecModel = {
  modelId: Hex;
  name: string;
  inputs: { name: string; dtype: string | null; shape: (number | string)[] }[];
  /** Proof modes the ModelRegistry allows (read from the chain). */
  modes: ("NONE" | "ZK" | "TEE")[];
  execUrl: string;
};

/** Everything the views share: the daemons' APIs, the chain, the SDK. */
export class Explorer {
  readonly chain: PublicClient;
  readonly verifyUrls: string[];
  readonly execUrls: string[];
  /** This tab's requester key: a fresh one per page load (direct requests need no funds on the devnet). */
  readonly requesterKey: Hex = generatePrivateKey();
  /** Requests sent from this page: id → when. */
  readonly sent = new Map<Hex, { at: number; model: string; mode: string; answeredAt?: number }>();
  models: ExecModel[] = [];

  constructor(readonly config: ExplorerPageConfig) {
    const abs = (u: string) => (u === "" ? location.origin : u.replace(/\/+$/, ""));
    this.verifyUrls = config.verifyUrls.map(abs);
    this.execUrls = config.execUrls.map(abs);
    this.chain = createPublicClient({ transport: http(config.rpcUrl) }) as PublicClient;
  }

  static async load(): Promise<Explorer> {
    const res = await fetch("/explorer/config.json");
    if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
    const explorer = new Explorer((await res.json()) as ExplorerPageConfig);
    await explorer.loadModels().catch(() => {});
    return explorer;
  }

  /** An SDK client for one executor (the request form) or for reading and checking results. */
  sdk(execUrl?: string): OpgClient {
    return createOpgClient({
      rpcUrl: this.config.rpcUrl,
      hub: this.config.hub,
      chainId: this.config.chainId,
      verifyUrl: this.verifyUrls,
      account: this.requesterKey,
      publisher: this.config.publishers[0],
      pollIntervalMs: 300,
      ...(execUrl ? { execUrl } : {}),
    });
  }

  modelName(modelId: string): string {
    return this.models.find((m) => m.modelId.toLowerCase() === modelId.toLowerCase())?.name ?? modelId;
  }

  /** The listing of `modelId` by the first trusted publisher that lists it (undefined: none). */
  async listingOf(modelId: Hex): Promise<Hex | undefined> {
    for (const publisher of this.config.publishers) {
      const id = (await this.chain.readContract({
        address: this.config.modelRegistry,
        abi: modelRegistryAbi,
        functionName: "latestListing",
        args: [modelId, publisher],
      })) as Hex;
      if (BigInt(id) !== 0n) return id;
    }
    return undefined;
  }

  /** Models from the executors, with the modes their trusted listing allows (read from the chain). */
  async loadModels(): Promise<void> {
    const out: ExecModel[] = [];
    for (const execUrl of this.execUrls) {
      const res = await fetch(`${execUrl}/v1/models`).catch(() => undefined);
      if (!res?.ok) continue;
      const body = (await res.json()) as { models: Omit<ExecModel, "modes" | "execUrl">[] };
      for (const m of body.models) {
        if (out.some((o) => o.modelId === m.modelId)) continue;
        const listingId = await this.listingOf(m.modelId);
        let modes = 0;
        if (listingId !== undefined) {
          [, modes] = (await this.chain.readContract({
            address: this.config.modelRegistry,
            abi: modelRegistryAbi,
            functionName: "requestTerms",
            args: [listingId],
          })) as readonly [Hex, number, bigint];
        }
        const names = (["NONE", "ZK", "TEE"] as const).filter((_, i) => (modes & (1 << i)) !== 0);
        out.push({ ...m, modes: [...names], execUrl });
      }
    }
    this.models = out;
  }

  /** GET a verifier API path from every verifier; the answers that came. */
  async fromVerifiers<T>(path: string): Promise<T[]> {
    const answers = await Promise.all(
      this.verifyUrls.map(async (base) => {
        try {
          const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000) });
          return res.ok || res.status === 404 ? ((await res.json()) as T) : undefined;
        } catch {
          return undefined;
        }
      }),
    );
    return answers.filter((a): a is Awaited<T> => a !== undefined) as T[];
  }

  async verifierSet(): Promise<{ digest: Hex; f: number; signers: readonly Address[] }> {
    const [digest, , f, signers] = (await this.chain.readContract({
      address: this.config.operatorRegistry,
      abi: operatorRegistryAbi,
      functionName: "verifierConfig",
    })) as readonly [Hex, bigint, number, readonly Address[]];
    return { digest, f, signers };
  }

  async batchRoot(batchId: bigint): Promise<Hex> {
    return (await this.chain.readContract({
      address: this.config.hub,
      abi: inferenceHubAbi,
      functionName: "batchRoot",
      args: [batchId],
    })) as Hex;
  }
}
