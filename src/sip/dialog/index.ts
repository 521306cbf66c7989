export { UserAgent } from './user-agent.ts';
export type { UserAgentOptions, UserAgentEvents, RequestHandler, OptionsRequestOptions } from './user-agent.ts';
export { Dialog } from './dialog.ts';
export { DialogCore, dialogKey } from './dialog-core.ts';
export { parseDialogSnapshot } from './dialog-snapshot.ts';
export type { DialogSnapshot } from './dialog-snapshot.ts';
export { DIALOG_TRANSITIONS } from './dialog-types.ts';
export type {
  DialogState,
  DialogRole,
  DialogInit,
  DialogHost,
  DialogEvents,
  TerminationCause,
  TerminationInfo,
} from './dialog-types.ts';
export type { MessageContent } from './message-content.ts';
export { OutgoingInvite } from './outgoing-invite.ts';
export type { InviteOptions, InviteAnswer, OutgoingInviteEvents } from './outgoing-invite.ts';
export { IncomingInvite } from './incoming-invite.ts';
export type { IncomingInviteEvents } from './incoming-invite.ts';
export { IncomingRequest } from './incoming-request.ts';
export type { IncomingReinvite } from './incoming-request.ts';
export { IncomingRefer } from './incoming-refer.ts';
export { glareRetryDelayMs, waitGlareRetry } from './glare.ts';
export { destinationForUri, formatContact } from './destination.ts';
export type { LocalContact } from './destination.ts';
export { ALLOWED_METHODS, ACCEPTED_TYPES } from './capabilities.ts';
