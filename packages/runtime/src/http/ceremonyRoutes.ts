import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { HttpError, HttpReply, type HttpServer } from "@opg/daemon";
import { CEREMONY_FILES, type CeremonyTranscript, ceremonyZkeyPath, readTranscript } from "@opg/zk";

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export type CeremonyRoutesDeps = {
  /** Folder of this node's ceremonies: `<root>/<listingId>/` (ceremony.json, zkeys/<sha256>.zkey). */
  root: string;
  /** Takes an announcement pushed by a peer (checked, then its zkey fetched by hash); verifiers only. */
  onAnnouncement?: ((raw: unknown) => Promise<unknown>) | undefined;
};

/** The folder under a node's data dir that holds its ceremonies (what these routes serve). */
export const CEREMONIES_DIR = "zk-ceremonies";

/** The ceremony directory of a listing under a ceremonies folder. */
export const ceremonyDirOf = (root: string, listingId: string): string => join(root, listingId.toLowerCase());

/** Every zkey a transcript names (the only ones served). */
const namedZkeys = (t: CeremonyTranscript): Set<string> =>
  new Set([t.initialZkeySha256, ...t.contributions.map((c) => c.zkeySha256), t.beacon?.zkeySha256 ?? ""]);

/**
 * The phase-2 ceremonies this node holds, served to its peers (docs/protocol.md, "Ceremony files
 * over the network"): a publisher's executor serves the ceremony it started, each verifier the
 * steps it holds.
 * - `GET /v1/zk/ceremony/:listing`: the transcript (`ceremony.json`);
 * - `GET /v1/zk/ceremony/:listing/zkey/:sha256`: a zkey the transcript names, by its sha256
 *   (checked before it is served: a corrupted file is never handed out);
 * - `POST /v1/zk/ceremony/announcements`: a signed announcement of a new contribution; accepted
 *   only from a member of the verifier set, then the zkey is fetched by hash from where it says.
 */
export function mountCeremonyRoutes(http: HttpServer, deps: CeremonyRoutesDeps): void {
  http.mapErrorCodes({ CEREMONY_REFUSED: 422, CEREMONY_FETCH_FAILED: 502 });
  const transcriptOf = async (
    listing: string | undefined,
  ): Promise<{ dir: string; t: CeremonyTranscript }> => {
    if (listing === undefined || !HEX32.test(listing))
      throw new HttpError(400, "BAD_REQUEST", "A listing id is 0x + 64 hex digits.");
    const dir = ceremonyDirOf(deps.root, listing);
    try {
      return { dir, t: await readTranscript(dir) };
    } catch {
      throw new HttpError(404, "NOT_FOUND", `No ceremony of listing ${listing} here.`);
    }
  };
  http.route("GET", "/v1/zk/ceremony/:listing", async (req) => {
    const { dir } = await transcriptOf(req.params["listing"]);
    // The bytes as stored: what the contributors signed is inside, nothing is re-serialized.
    return HttpReply.raw(await readFile(join(dir, CEREMONY_FILES.transcript)), "application/json");
  });
  http.route("GET", "/v1/zk/ceremony/:listing/zkey/:sha256", async (req) => {
    const sha = req.params["sha256"] ?? "";
    if (!SHA256.test(sha))
      throw new HttpError(400, "BAD_REQUEST", "A zkey is named by its sha256 (64 hex digits).");
    const { dir, t } = await transcriptOf(req.params["listing"]);
    if (!namedZkeys(t).has(sha)) throw new HttpError(404, "NOT_FOUND", `The ceremony names no zkey ${sha}.`);
    const bytes = await readFile(ceremonyZkeyPath(dir, sha)).catch(() => undefined);
    if (bytes === undefined || createHash("sha256").update(bytes).digest("hex") !== sha)
      throw new HttpError(404, "NOT_FOUND", `The zkey ${sha} is not held here.`);
    return HttpReply.raw(bytes, "application/octet-stream");
  });
  http.route("POST", "/v1/zk/ceremony/announcements", async (req) => {
    if (deps.onAnnouncement === undefined)
      throw new HttpError(404, "NOT_FOUND", "This node takes no ceremony announcements.");
    return deps.onAnnouncement(req.body);
  });
}
