/**
 * The commands one node sends the node that owns a live call (docs/cluster.md "Bus"): a JSON request
 * on `callbin.node.<owner>.cmd` and a JSON reply. Errors cross the wire as their catalogue code and
 * come back as the same AppError family, so the API answers what the owner's API would have.
 */
import {
  AppError,
  ConflictError,
  ERRORS,
  InvalidStateError,
  NotFoundError,
  PermissionError,
  UnavailableError,
  ValidationError,
  isErrorCode,
} from '../shared/index.ts';
import type { ErrorCode, ErrorCodeWithHttp, FieldIssue } from '../shared/index.ts';

/** How long a node waits for the owner's reply before it answers 503 `NODE_UNAVAILABLE`. */
export const COMMAND_TIMEOUT_MS = 5_000;

/**
 * What `startMediaStream` adds to that wait: the owner answers once the bot accepted the socket or
 * its WebSocket handshake timed out (10 s, docs/media-streams.md "Limits").
 */
export const MEDIA_STREAM_HANDSHAKE_MS = 10_000;

/** The commands the owner runs: live call controls and media streams, transfers, activeflow stop, conferencecall kick and mute, conference update and delete, groupcall hangup. */
export const COMMAND_OPS = [
  'createOutgoing',
  'hangup',
  'talk',
  'play',
  'stopMedia',
  'setHold',
  'setMusicOnHold',
  'setMute',
  'setSilence',
  'startRecording',
  'stopRecording',
  'sendDigits',
  'redirect',
  'startMediaStream',
  'stopMediaStream',
  'listMediaStreams',
  'transferCreate',
  'transferGet',
  'transferComplete',
  'transferCancel',
  'activeflowStop',
  'conferencecallKick',
  'conferencecallMute',
  'conferenceUpdate',
  'conferenceDelete',
  'groupcallHangup',
] as const;

/** One command op. */
export type CommandOp = (typeof COMMAND_OPS)[number];

/**
 * A command: `callId` is the call the owner was found by (the master of a chained create, the
 * transferer of a transfer; empty for an activeflow or a conferencecall), `customerId` the customer
 * the sender's API checked — the owner checks it again against what it holds.
 */
export interface CommandRequest {
  op: CommandOp;
  customerId: string;
  callId: string;
  args: unknown[];
}

/** An error as it crosses the wire. */
export interface WireError {
  code: string;
  message: string;
  details?: readonly FieldIssue[];
}

/** The owner's reply: the op's result (public JSON) or its error. */
export type CommandReply = { ok: true; result?: unknown } | { ok: false; error: WireError };

/** `err` as the reply carries it; anything but an AppError is an `INTERNAL` fault without its text. */
export function errorToWire(err: unknown): WireError {
  if (!(err instanceof AppError)) return { code: 'INTERNAL', message: 'internal error on the owner node' };
  return {
    code: err.code,
    message: err.message,
    ...(err.details.length > 0 ? { details: err.details } : {}),
  };
}

function issuesOf(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  return details.flatMap((d: unknown) => {
    const { field, reason, message } = (d ?? {}) as Record<string, unknown>;
    if (typeof field !== 'string' || typeof message !== 'string' || !isErrorCode(reason)) return [];
    return [{ field, reason, message }];
  });
}

/** The AppError a wire error stands for: the subclass that gives the code its catalogue status. */
export function errorFromWire(wire: unknown): AppError {
  const { code, message: rawMessage, details } = (wire ?? {}) as Record<string, unknown>;
  const message = typeof rawMessage === 'string' ? rawMessage : 'the owner node answered an error';
  if (!isErrorCode(code)) return new AppError('INTERNAL', `the owner node answered an unknown error: ${message}`);
  return byStatus(code, message, issuesOf(details));
}

function byStatus(code: ErrorCode, message: string, details: FieldIssue[]): AppError {
  switch (ERRORS[code].http) {
    case 400: {
      const err = new ValidationError(details, code);
      err.message = message;
      return err;
    }
    case 403:
      return new PermissionError(code as ErrorCodeWithHttp<403>, message);
    case 404:
      return new NotFoundError(code as ErrorCodeWithHttp<404>, message);
    case 409:
      // ALREADY_EXISTS is a ConflictError's (the envelope's ALREADY_EXISTS); every other 409 a state's.
      return code === 'ALREADY_EXISTS'
        ? new ConflictError(code as ErrorCodeWithHttp<409>, message, { details })
        : new InvalidStateError(message, code as ErrorCodeWithHttp<409>);
    case 503:
      return new UnavailableError(code as ErrorCodeWithHttp<503>, message);
    default:
      return new AppError(code, message, { details });
  }
}

/** Parses and checks a request; a string says what is wrong with it. */
export function parseCommand(data: string): CommandRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return 'the command is not JSON';
  }
  const { op, customerId, callId, args } = (value ?? {}) as Record<string, unknown>;
  if (typeof op !== 'string' || !(COMMAND_OPS as readonly string[]).includes(op))
    return `unknown command op ${JSON.stringify(op)}`;
  if (typeof customerId !== 'string' || customerId === '') return 'the command has no customerId';
  if (typeof callId !== 'string') return 'the command has no callId';
  if (!Array.isArray(args)) return 'the command has no args list';
  return { op: op as CommandOp, customerId, callId, args };
}
