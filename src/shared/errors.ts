import type { ErrorCode, ErrorCodeWithHttp } from './error-catalogue.ts';

/** One field-level problem found while validating input. */
export interface FieldIssue {
  /** Dotted/bracketed path of the offending field, e.g. `destinations[0].target`. */
  field: string;
  /** Stable machine code of the catalogue (`shared/error-catalogue.ts`), e.g. `INVALID_E164`. */
  reason: ErrorCode;
  /** Human text that says what was wrong. */
  message: string;
}

/**
 * The one error type of callbin: a stable `code` from the catalogue (`shared/error-catalogue.ts`)
 * callers branch on, never the message text.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly FieldIssue[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: readonly FieldIssue[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? [];
  }
}

/** Input that failed validation; `code` is the first issue's reason unless given. */
export class ValidationError extends AppError {
  constructor(details: readonly FieldIssue[], code?: ErrorCode) {
    const first = details[0];
    super(code ?? first?.reason ?? 'INVALID_ARGUMENT', first ? `${first.field}: ${first.message}` : 'invalid input', {
      details,
    });
  }

  /** Shorthand for a single-field validation error. */
  static field(field: string, reason: ErrorCode, message: string): ValidationError {
    return new ValidationError([{ field, reason, message }]);
  }
}

/** A resource that does not exist or that the caller may not see (a code the API answers 404). */
export class NotFoundError extends AppError {
  constructor(code: ErrorCodeWithHttp<404>, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** An operation refused because of the object's current state (a code the API answers 409). */
export class InvalidStateError extends AppError {
  constructor(message: string, code: ErrorCodeWithHttp<409> = 'INVALID_STATE', options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** A name or key that already exists (a code the API answers 409). */
export class ConflictError extends AppError {
  constructor(
    code: ErrorCodeWithHttp<409>,
    message: string,
    options: { cause?: unknown; details?: readonly FieldIssue[] } = {},
  ) {
    super(code, message, options);
  }
}

/** The caller is not allowed to do this (a code the API answers 403). */
export class PermissionError extends AppError {
  constructor(code: ErrorCodeWithHttp<403>, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** A service this one depends on does not answer, such as another node of a cluster (a code the API answers 503). */
export class UnavailableError extends AppError {
  constructor(code: ErrorCodeWithHttp<503>, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** A protocol transaction that ended without a final response. */
export class TransactionTimeoutError extends AppError {
  constructor(message: string) {
    super('TRANSACTION_TIMEOUT', message);
  }
}

/** A SIP request answered with a non-2xx final response. */
export class SipResponseError extends AppError {
  readonly status: number;

  constructor(status: number, reasonPhrase: string) {
    super('SIP_RESPONSE', `SIP ${status} ${reasonPhrase}`);
    this.status = status;
  }
}

/** True when `err` is an AppError carrying `code`. */
export function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof AppError && err.code === code;
}
