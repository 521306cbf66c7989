export { DeliveryTargets } from './delivery-targets.ts';
export type { TargetResolver, WebhookSettings } from './delivery-targets.ts';
export { DeliveryWorker } from './delivery-worker.ts';
export type { DeliveryWorkerOptions } from './delivery-worker.ts';
export { envelopeBody, envelopeText, toEnvelope } from './envelope.ts';
export type { EventEnvelope } from './envelope.ts';
export { EventHub } from './event-hub.ts';
export type { QueuedDelivery } from './event-hub.ts';
export { EventPublisher } from './event-publisher.ts';
export type { EventPublisherOptions } from './event-publisher.ts';
export {
  CLOSE_FOREIGN_TOPIC,
  CLOSE_SLOW_CONSUMER,
  DEFAULT_STREAM_LIMITS,
  EventStreamSession,
} from './event-stream-session.ts';
export type { EventStreamLimits, EventStreamSessionOptions, StreamPrincipal } from './event-stream-session.ts';
export { outcomeOfStatus, retryDelayMs } from './retry-policy.ts';
export type { AttemptOutcome, BackoffOptions } from './retry-policy.ts';
export { SIGNATURE_HEADERS, signWebhook, verifyWebhook } from './signature.ts';
export type { HeaderBag, VerifyFailure, VerifyResult } from './signature.ts';
export { SsrfGuard } from '../shared/index.ts';
export type { ResolveHost, SsrfGuardOptions } from '../shared/index.ts';
export { eventTopic, parseTopic, topicMatches } from './topics.ts';
export type { Topic } from './topics.ts';
export { WebhookSender } from './webhook-sender.ts';
export type { DeliveryTarget, SendResult, WebhookSenderOptions } from './webhook-sender.ts';
