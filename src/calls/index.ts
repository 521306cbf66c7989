export * from './address.ts';
export { HANGUP_REASONS, emptyAction, isHungUp, newCall, toPublic } from './call.ts';
export type {
  Call,
  CallAction,
  CallLegQos,
  CallDirection,
  CallType,
  HangupBy,
  HangupReason,
  MuteDirection,
  NewCallFields,
  RouteAttempt,
  RouteAttemptReason,
} from './call.ts';
export { CALL_STATUS_TRANSITIONS, LIVE_STATUSES, OUTGOING_ONLY_STATUSES, canTransition } from './call-status.ts';
export type { HangupCauseFields } from './call-status.ts';
export { CALL_STATUSES } from './call-status-types.ts';
export type { CallStatus } from './call-status-types.ts';
export { CALL_EVENT_TYPES } from './call-events.ts';
export type { CallChange, CallEvent, CallEventType } from './call-events.ts';
export { DTMF_EVENTS_PER_SECOND, DTMF_RECEIVED_EVENT, DtmfEventBudget, dtmfReceived } from './dtmf-received.ts';
export type { DtmfReceived } from './dtmf-received.ts';
export {
  ANSWERED_LOCAL_REASONS,
  DEFAULT_REJECT_SIP_STATUS,
  HANGUP_RULES,
  REJECT_SIP_STATUS,
  SIP_STATUS_CAUSES,
  attemptFailureCause,
  dialTimerCause,
  rejectStatusFor,
} from './hangup-reasons.ts';
export type { AttemptFailure, HangupCause, HangupRule } from './hangup-reasons.ts';
export { MUTE_REQUEST_DIRECTIONS, addMute, removeMute } from './mute-direction.ts';
export type { MuteRequestDirection } from './mute-direction.ts';
export { ALL_TARGET, longestTargetMatch, orderRoutes, requireRoutes, takeNextRoute } from './routing.ts';
export type { NextRoute, RouteCandidate } from './routing.ts';
export type * from './ports.ts';
export { DEFAULT_CALL_TIMERS } from './live-call.ts';
export type { CallTimerOptions } from './live-call.ts';
export type { IncomingCallRequest } from './incoming-call.ts';
export type { OutgoingCallRequest } from './outgoing-call.ts';
export type { LocalHangup } from './call-ending.ts';
export { CallService } from './call-service.ts';
export type { CallServiceDeps, DigitsCommand } from './call-service.ts';
export {
  TRANSFER_EVENT_TYPES,
  TRANSFER_STATUSES,
  TRANSFER_STATUS_TRANSITIONS,
  TRANSFER_TYPES,
  isTransferEnded,
  newTransfer,
} from './transfer.ts';
export type {
  Transfer,
  TransferChange,
  TransferEvent,
  TransferEventType,
  TransferStatus,
  TransferStorePort,
  TransferType,
} from './transfer.ts';
export { TransferService, memoryTransferStore } from './transfer-service.ts';
export type { TransferRequest, TransferServiceDeps } from './transfer-service.ts';
export * from './media-stream.ts';
export {
  GROUPCALL_ANSWER_METHODS,
  GROUPCALL_EVENT_TYPES,
  GROUPCALL_RING_METHODS,
  GROUPCALL_STATUSES,
  MAX_GROUPCALL_DESTINATIONS,
  newGroupcall,
} from './groupcall.ts';
export type {
  Groupcall,
  GroupcallAnswerMethod,
  GroupcallChange,
  GroupcallEvent,
  GroupcallEventType,
  GroupcallRingMethod,
  GroupcallStatus,
  GroupcallStorePort,
} from './groupcall.ts';
export { GROUPCALL_STATUS_TRANSITIONS } from './groupcall-status.ts';
export type { GroupcallRequest } from './groupcall-request.ts';
export { GroupcallService } from './groupcall-service.ts';
export type { GroupcallCallsPort, GroupcallServiceDeps } from './groupcall-service.ts';
