import type { Libp2p, PeerId, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import { keccak256Bytes, type Logger } from "@opg/protocol";
import { P2PError } from "./P2PError.js";

/** The request-response protocol that moves payloads (result outputs) by hash, on demand. */
export const PAYLOAD_PROTOCOL = "/opg/1/payload/1.0.0";

/**
 * The request-response protocol that moves whole result messages by result hash: how a verifier
 * gets a result a batch proposal lists but gossip never brought it. The hash is not a digest of
 * the bytes, so the fetcher checks what it gets itself (header hash, then the whole validation).
 */
export const RESULT_PROTOCOL = "/opg/1/result/1.0.0";

/** Whether fetched `bytes` are what `hash` names (the payload protocol: their keccak256). */
export type ContentCheck = (hash: `0x${string}`, bytes: Uint8Array) => boolean;

const keccakMatches: ContentCheck = (hash, bytes) =>
  keccak256Bytes(bytes).toLowerCase() === hash.toLowerCase();

/** Answers a payload request: the bytes whose keccak256 is `hash`, or undefined when not held. */
export type PayloadLookup = (hash: `0x${string}`) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

export type PayloadExchangeOptions = {
  /** Largest payload served or accepted. */
  maxPayloadBytes: number;
  /** Time allowed for one fetch (dial, request, whole answer). */
  fetchTimeoutMs: number;
  /**
   * Requests served at once to peers that are not static or exempt, all together (inbound
   * streams on the protocol): what many spare peer ids can take, never the trusted peers' share.
   */
  maxConcurrentServes: number;
  /** Requests served at once to one peer (trusted or not). */
  maxServesPerPeer: number;
};

export const defaultPayloadExchangeOptions: PayloadExchangeOptions = {
  maxPayloadBytes: 1024 * 1024,
  fetchTimeoutMs: 10_000,
  maxConcurrentServes: 32,
  maxServesPerPeer: 4,
};

const FOUND = 0;
const NOT_FOUND = 1;

/**
 * Payloads on demand (docs/protocol.md, "Payloads"): a requester opens a stream on
 * `PAYLOAD_PROTOCOL` and sends the 32-byte hash; the server answers one length-prefixed frame,
 * a status byte (0 found, 1 not held) then the payload. The fetcher checks keccak256 of what
 * it got against the hash it asked for, so any peer may serve: the executor that produced the
 * payload, or any verifier that holds it. The same exchange on `RESULT_PROTOCOL` moves result
 * messages by result hash, checked by the caller (`contentCheck` null).
 */
export class PayloadExchange {
  /** Requests being served to untrusted peers, all together. */
  private serving = 0;
  /** Requests being served, by peer. */
  private readonly servingPeer = new Map<string, number>();

  readonly protocol: string;
  private readonly contentCheck: ContentCheck | null;
  private readonly isTrusted: (peer: string) => boolean;

  constructor(
    private readonly libp2p: Libp2p,
    private readonly options: PayloadExchangeOptions,
    private readonly logger: Logger,
    kind: {
      /** The protocol id (default `PAYLOAD_PROTOCOL`). */
      protocol?: string;
      /** How fetched bytes are checked against the hash (default keccak256); null: by the caller. */
      contentCheck?: ContentCheck | null;
      /** Static and exempt peers: served beyond `maxConcurrentServes` (still `maxServesPerPeer` each). */
      isTrusted?: (peer: string) => boolean;
    } = {},
  ) {
    this.protocol = kind.protocol ?? PAYLOAD_PROTOCOL;
    this.contentCheck = kind.contentCheck === undefined ? keccakMatches : kind.contentCheck;
    this.isTrusted = kind.isTrusted ?? (() => false);
  }

  /** Serves payloads from `lookup` to any peer that asks. */
  async serve(lookup: PayloadLookup): Promise<void> {
    await this.libp2p.handle(
      this.protocol,
      async (stream, connection) => {
        const peer = connection.remotePeer.toString();
        const trusted = this.isTrusted(peer);
        const mine = this.servingPeer.get(peer) ?? 0;
        if (
          mine >= this.options.maxServesPerPeer ||
          (!trusted && this.serving >= this.options.maxConcurrentServes)
        ) {
          stream.abort(new Error("too many requests"));
          return;
        }
        this.servingPeer.set(peer, mine + 1);
        if (!trusted) this.serving += 1;
        try {
          await this.answer(stream, lookup);
        } catch (err) {
          this.logger.debug({ err: String(err), protocol: this.protocol }, "request by hash failed");
          stream.abort(err instanceof Error ? err : new Error(String(err)));
        } finally {
          if (!trusted) this.serving -= 1;
          const left = (this.servingPeer.get(peer) ?? 1) - 1;
          if (left > 0) this.servingPeer.set(peer, left);
          else this.servingPeer.delete(peer);
        }
      },
      { maxInboundStreams: this.options.maxServesPerPeer, runOnLimitedConnection: false },
    );
  }

  private async answer(stream: Stream, lookup: PayloadLookup): Promise<void> {
    const signal = AbortSignal.timeout(this.options.fetchTimeoutMs);
    const lp = lpStream(stream, { maxDataLength: 64 });
    const request = (await lp.read({ signal })).subarray();
    if (request.length !== 32) throw new Error("a payload request is a 32-byte hash");
    const hash = `0x${Buffer.from(request).toString("hex")}` as const;
    const payload = await lookup(hash);
    const ok = payload !== undefined && payload.length <= this.options.maxPayloadBytes;
    const frame = new Uint8Array(1 + (ok ? payload.length : 0));
    frame[0] = ok ? FOUND : NOT_FOUND;
    if (ok) frame.set(payload, 1);
    await lp.write(frame, { signal });
    await stream.close({ signal });
  }

  /**
   * Asks `peer` for the payload hashing to `hash`: the checked bytes (checked by the caller where
   * this exchange has no content check), or undefined when the peer does not hold it. Throws
   * P2PError PAYLOAD_FETCH_FAILED (unreachable, timeout, too large) or PAYLOAD_MISMATCH (the
   * bytes do not hash to `hash`: the peer lied).
   */
  async fetch(peer: PeerId, hash: `0x${string}`, signal?: AbortSignal): Promise<Uint8Array | undefined> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(hash)) {
      throw new P2PError("INVALID_OPTIONS", "A payload hash is 32 bytes of hex.", { details: hash });
    }
    const timeout = AbortSignal.timeout(this.options.fetchTimeoutMs);
    const s = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let frame: Uint8Array;
    try {
      const stream = await this.libp2p.dialProtocol(peer, this.protocol, { signal: s });
      const lp = lpStream(stream, { maxDataLength: this.options.maxPayloadBytes + 1 });
      await lp.write(Buffer.from(hash.slice(2), "hex"), { signal: s });
      frame = (await lp.read({ signal: s })).subarray();
      await stream.close({ signal: s }).catch(() => undefined);
    } catch (cause) {
      throw new P2PError("PAYLOAD_FETCH_FAILED", "Fetching the payload failed.", {
        details: `${hash} from ${peer.toString()}`,
        cause,
      });
    }
    if (frame[0] === NOT_FOUND) return undefined;
    // A plain Uint8Array view (the stream may hand back a Buffer).
    const payload = new Uint8Array(frame.buffer, frame.byteOffset + 1, frame.length - 1);
    if (frame[0] !== FOUND || (this.contentCheck !== null && !this.contentCheck(hash, payload))) {
      throw new P2PError("PAYLOAD_MISMATCH", "The payload does not hash to what was asked.", {
        details: `${hash} from ${peer.toString()}`,
      });
    }
    return payload;
  }
}
