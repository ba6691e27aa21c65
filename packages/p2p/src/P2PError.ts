import { OpgError, type OpgErrorOptions, RetryableError } from "@opg/protocol";

/** Bounded codes of the p2p module's own (non-validation) errors. */
export type P2PErrorCode =
  | "INVALID_OPTIONS"
  | "KEY_FILE_INVALID"
  | "KEY_FILE_PERMISSIONS"
  | "NOT_STARTED"
  | "ALREADY_STARTED"
  | "ALREADY_SUBSCRIBED"
  | "TOPIC_NOT_ALLOWED"
  | "PUBLISH_FAILED"
  | "PAYLOAD_FETCH_FAILED"
  | "PAYLOAD_MISMATCH"
  | "PAYLOAD_NOT_FOUND";

/** A non-retryable p2p failure: bad configuration, unusable key file, misuse of the API. */
export class P2PError extends OpgError<P2PErrorCode> {
  override name = "P2PError";
}

/** Publishing found no peer subscribed to the topic; retry once peers have joined. */
export class NoTopicPeersError extends RetryableError<"NO_TOPIC_PEERS"> {
  override name = "NoTopicPeersError";

  constructor(topic: string, options: OpgErrorOptions = {}) {
    super("NO_TOPIC_PEERS", `No peer is subscribed to ${topic}.`, { ...options, meta: { topic } });
  }
}
