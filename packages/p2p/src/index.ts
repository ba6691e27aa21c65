export type { LogFn, Logger } from "@opg/protocol";
export { noopLogger } from "@opg/protocol";
export { checkMessageSize } from "./checkMessageSize.js";
export { createScoreParams, createScoreThresholds } from "./createScoreParams.js";
export { frameGossip, GOSSIP_NONCE_BYTES, unframeGossip } from "./gossipFrame.js";
export { gossipMessageId, gossipMessageIdString } from "./gossipMessageId.js";
export { IpColocation, ipOf } from "./IpColocation.js";
export type { PeerKeyResult } from "./loadOrCreatePeerKey.js";
export { loadOrCreatePeerKey } from "./loadOrCreatePeerKey.js";
export type { ValidationOutcome } from "./MessagePipeline.js";
export type { P2PErrorCode } from "./P2PError.js";
export { NoTopicPeersError, P2PError } from "./P2PError.js";
export type { MessageResult, P2PMetrics, PublishResult } from "./P2PMetrics.js";
export { p2pMetricDefs } from "./P2PMetrics.js";
export type { P2PNodeDeps, P2PNodeEvents, P2PServices, PublishOptions } from "./P2PNode.js";
export { P2PNode } from "./P2PNode.js";
export type { P2PGossipOptions, P2PNodeInit, P2PNodeOptions, P2PScoringOptions } from "./P2PNodeOptions.js";
export {
  defaultP2PGossipOptions,
  defaultP2PNodeOptions,
  defaultP2PScoringOptions,
  resolveP2PNodeOptions,
} from "./P2PNodeOptions.js";
export type { PayloadExchangeOptions, PayloadLookup } from "./PayloadExchange.js";
export { defaultPayloadExchangeOptions, PAYLOAD_PROTOCOL, RESULT_PROTOCOL } from "./PayloadExchange.js";
export type { PeerPenaltiesOptions, PenaltyKind } from "./PeerPenalties.js";
export { PeerPenalties } from "./PeerPenalties.js";
export { peerIdString } from "./peerIdString.js";
export { STATIC_PEER_TAG } from "./StaticPeerDialer.js";
export type { MessageInfo, SubscribeOptions, TopicHandler, TopicValidator } from "./TopicSubscription.js";
export type { OpgTopics } from "./topicsFor.js";
export { topicsFor } from "./topicsFor.js";
export { toValidatorResult, validationErrorCode } from "./toValidatorResult.js";
