import { STATUS_CODES } from 'node:http';
import {
  ConflictError,
  ERRORS,
  InvalidStateError,
  NotFoundError,
  PermissionError,
  UnavailableError,
  ValidationError,
  AppError,
} from '../shared/index.ts';
import type { ErrorCode, ErrorCodeWithHttp, FieldIssue, HttpStatus } from '../shared/index.ts';

/** The `status` words of the error envelope and their HTTP codes (docs/errors.md). */
export const ERROR_STATUS = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  UNIMPLEMENTED: 501,
} as const;

/** One of the envelope's `status` words. */
export type ErrorStatus = keyof typeof ERROR_STATUS;

/**
 * The status word of each HTTP status of the catalogue: the transport-level 400s (408, 414, 431)
 * are `INVALID_ARGUMENT`, and a 409 an API error answers is a `FAILED_PRECONDITION` (only a
 * ConflictError is `ALREADY_EXISTS`).
 */
const STATUS_OF_HTTP: Record<HttpStatus, ErrorStatus> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'INVALID_ARGUMENT',
  409: 'FAILED_PRECONDITION',
  414: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  431: 'INVALID_ARGUMENT',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
};

/** The codes an ApiError may carry: every code whose own HTTP status is not 500. */
export type ApiErrorCode = Exclude<ErrorCode, ErrorCodeWithHttp<500>>;

/** An error the API answers with its code's HTTP status from the catalogue; `code` becomes the envelope's `reason`. */
export class ApiError extends AppError {
  declare readonly code: ApiErrorCode;
  /** The envelope's status word, from the catalogue's HTTP status. */
  readonly status: ErrorStatus;
  /** The HTTP status of the answer (`ERRORS[code].http`). */
  readonly httpStatus: HttpStatus;

  constructor(code: ApiErrorCode, message: string, details: readonly FieldIssue[] = []) {
    super(code, message, { details });
    this.httpStatus = ERRORS[code].http;
    this.status = STATUS_OF_HTTP[this.httpStatus];
  }
}

/** The JSON body of every error response. */
export interface ErrorEnvelope {
  error: {
    status: ErrorStatus;
    reason: ErrorCode;
    message: string;
    request_id: string;
    details?: readonly FieldIssue[];
  };
}

// Fastify's own error codes for bad requests that never reach a handler; the HTTP status is the
// catalogue's for the reason.
const FASTIFY_CODES: Record<string, [ApiErrorCode, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['MALFORMED_JSON', 'the body is not valid JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['BODY_TOO_LARGE', 'the body is larger than 1 MiB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['MALFORMED_JSON', 'the body is empty but the content type is application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['MALFORMED_REQUEST', 'the content length does not match the body'],
  FST_ERR_CTP_INVALID_TYPE: ['UNSUPPORTED_MEDIA_TYPE', 'the content type is invalid'],
  FST_ERR_NOT_FOUND: ['ROUTE_NOT_FOUND', 'no such endpoint'],
  FST_ERR_BAD_URL: ['MALFORMED_URL', 'the URL is not valid percent-encoding'],
  FST_ERR_MAX_PARAM_LENGTH: ['URI_TOO_LONG', 'a path segment is longer than 200 characters'],
  FST_ERR_ASYNC_CONSTRAINT: ['MALFORMED_REQUEST', 'the request is malformed'],
};

/** Map any thrown value to the envelope's status word, reason and message. */
export function classifyError(err: unknown): {
  status: ErrorStatus;
  reason: ErrorCode;
  message: string;
  details: readonly FieldIssue[];
  httpStatus?: number;
} {
  if (err instanceof ApiError)
    return {
      status: err.status,
      reason: err.code,
      message: err.message,
      details: err.details,
      httpStatus: err.httpStatus,
    };
  if (err instanceof ValidationError)
    return { status: 'INVALID_ARGUMENT', reason: err.code, message: err.message, details: err.details };
  if (err instanceof NotFoundError) return { status: 'NOT_FOUND', reason: err.code, message: err.message, details: [] };
  if (err instanceof ConflictError)
    return { status: 'ALREADY_EXISTS', reason: err.code, message: err.message, details: err.details };
  if (err instanceof InvalidStateError)
    return { status: 'FAILED_PRECONDITION', reason: err.code, message: err.message, details: [] };
  if (err instanceof PermissionError)
    return { status: 'PERMISSION_DENIED', reason: err.code, message: err.message, details: [] };
  if (err instanceof UnavailableError)
    return { status: 'UNAVAILABLE', reason: err.code, message: err.message, details: [], httpStatus: 503 };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FASTIFY_CODES[code]) {
    const [reason, message] = FASTIFY_CODES[code];
    return {
      status: STATUS_OF_HTTP[ERRORS[reason].http],
      reason,
      message,
      details: [],
      httpStatus: ERRORS[reason].http,
    };
  }
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return {
      status: 'INVALID_ARGUMENT',
      reason: 'MALFORMED_REQUEST',
      message: 'the request is malformed',
      details: [],
    };
  }
  return { status: 'INTERNAL', reason: 'INTERNAL', message: 'internal error', details: [] };
}

/** Build the envelope for an error. */
export function errorEnvelope(err: unknown, requestId: string): { statusCode: number; body: ErrorEnvelope } {
  const c = classifyError(err);
  const body: ErrorEnvelope = {
    error: { status: c.status, reason: c.reason, message: c.message, request_id: requestId },
  };
  if (c.details.length > 0) body.error.details = c.details;
  return { statusCode: c.httpStatus ?? ERROR_STATUS[c.status], body };
}

// Rejections by Node's HTTP parser, before fastify sees a request (the server's 'clientError'); the
// HTTP status is the catalogue's for the reason.
const CLIENT_ERRORS: Record<string, [ApiErrorCode, string]> = {
  HPE_HEADER_OVERFLOW: ['HEADERS_TOO_LARGE', 'the request line and headers are larger than 16 KiB'],
  ERR_HTTP_REQUEST_TIMEOUT: ['REQUEST_TIMEOUT', 'the request was not received in time'],
};

/**
 * The raw HTTP/1.1 response for a request Node's parser rejected (bad syntax, an unknown method,
 * oversized headers, a slow client), in the same envelope as every other error; the connection
 * closes after it.
 */
export function clientErrorResponse(err: unknown, requestId: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  const [reason, message] =
    (typeof code === 'string' && CLIENT_ERRORS[code]) ||
    (['MALFORMED_REQUEST', 'the request is not valid HTTP/1.1'] as const);
  const statusCode = ERRORS[reason].http;
  const body = JSON.stringify({
    error: { status: 'INVALID_ARGUMENT', reason, message, request_id: requestId },
  } satisfies ErrorEnvelope);
  const head = `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n`;
  return `${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** A resource name whose `<NAME>_NOT_FOUND` code is in the catalogue (`call`, `webhook_delivery`, …). */
export type NotFoundResource = {
  [C in ErrorCodeWithHttp<404>]: C extends `${infer R}_NOT_FOUND` ? Lowercase<R> : never;
}[ErrorCodeWithHttp<404>];

/** 404 for a resource that does not exist or belongs to another customer. */
export function notFound(resource: NotFoundResource, id: string): ApiError {
  // The type of `resource` guarantees the code is a 404 code of the catalogue.
  return new ApiError(`${resource.toUpperCase()}_NOT_FOUND` as ErrorCodeWithHttp<404>, `${resource} ${id} not found`);
}
