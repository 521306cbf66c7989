export { openStore } from './open-store.ts';
export type { Store, StoreOptions, StoreTx } from './open-store.ts';
export {
  CLUSTER_HEARTBEAT_INTERVAL_MS,
  CLUSTER_HEARTBEAT_STALE_MS,
  HEARTBEAT_INTERVAL_MS,
  HEARTBEAT_STALE_MS,
  heartbeatTiming,
  startHeartbeat,
} from './process-repo.ts';
export type { HeartbeatTiming, ProcessRepo, RegisterOptions } from './process-repo.ts';
export type { SharedSecretRepo } from './shared-secret-repo.ts';
export { LOCK_FILE } from './data-dir-lock.ts';
export type { ListAfterOptions, NewOutboxEvent, OutboxRepo, TxHandle } from './outbox-repo.ts';
export type {
  ClaimOptions,
  ClaimedDelivery,
  ClaimedEvent,
  DeliveryAttempt,
  DeliveryKey,
  DeliveryRepo,
  NewWebhookDelivery,
  QueueLook,
  RecordedAttempt,
  SettleOptions,
} from './delivery-repo.ts';
export type { CustomerWebhook } from './customer-webhooks.ts';
export { extensionDigestHa1 } from './extension-credentials.ts';
export {
  RETENTION_BATCH_SIZE,
  RETENTION_INTERVAL_MS,
  RetentionPurger,
  purgeExpiredRows,
  retentionCutoff,
} from './retention.ts';
export type { PurgeOptions, RetentionPurgerOptions, RetentionReport } from './retention.ts';
export type { Database, StoredRow } from './database.ts';
export type {
  DeliveryStatus,
  OutboxEvent,
  StoredActiveflow,
  StoredCall,
  StoredConference,
  StoredConferencecall,
  StoredRecording,
  WebhookDelivery,
} from './row-types.ts';
export type {
  CallDialogRecord,
  CallListFilter,
  CallListOptions,
  CallRecord,
  CallRepo,
  DeletedCallRecord,
} from './call-repo.ts';
export type {
  ActiveflowListFilter,
  ActiveflowListOptions,
  ActiveflowRecord,
  ActiveflowRepo,
  DeletedActiveflowRecord,
} from './activeflow-repo.ts';
export type {
  DeletedRecordingRecord,
  RecordingListFilter,
  RecordingListOptions,
  RecordingRecord,
  RecordingRepo,
} from './recording-repo.ts';
export type {
  ConferenceListOptions,
  ConferenceRecord,
  ConferenceRepo,
  ConferencecallRecord,
  ConferencecallRepo,
  JsonDocumentRepo,
} from './conference-repo.ts';
export type { Deleted, JsonListOptions, NodeFilter } from './json-document-table.ts';
export { decodePageToken, encodePageToken } from './page-token.ts';
export { timeOrderedId } from './time-ordered-id.ts';
export { TimelineRepo } from './timeline-repo.ts';
export type { TimelineListQuery, TimelinePage, TimelineRow } from './timeline-repo.ts';
export type { PageCursor } from './page-token.ts';
export type {
  Accesskey,
  AccesskeyRepo,
  Customer,
  Extension,
  SipDigestHa1,
  ExtensionRepo,
  Flow,
  IdempotencyRecord,
  IdempotencyRepo,
  ListOptions,
  NewRegistration,
  NewRow,
  NumberRepo,
  Page,
  Patch,
  PhoneNumber,
  Provider,
  Registration,
  RegistrationRepo,
  Repo,
  Role,
  Route,
  RouteRepo,
  Scope,
  User,
  UserRepo,
  VoipbinMetadata,
} from './types.ts';
