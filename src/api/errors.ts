import { STATUS_CODES } from 'node:http';
import { AppError, ConflictError, InvalidStateError, NotFoundError, PermissionError, ValidationError, type FieldIssue } from '../shared/index.ts';

/** The `status` words of the error envelope and their HTTP codes (api.md, Errors). */
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
} as const;

/** One of the envelope's `status` words. */
export type ErrorStatus = keyof typeof ERROR_STATUS;

/** An error the API answers with a given status word; `code` becomes the envelope's `reason`. */
export class ApiError extends AppError {
  readonly status: ErrorStatus;
  /** The HTTP code when it is not the status word's own (414, 431, 408 for transport-level rejections). */
  readonly httpStatus: number | undefined;

  constructor(status: ErrorStatus, code: string, message: string, details: readonly FieldIssue[] = [], httpStatus?: number) {
    super(code, message, { details });
    this.status = status;
    this.httpStatus = httpStatus;
  }
}

/** The JSON body of every error response. */
export interface ErrorEnvelope {
  error: { status: ErrorStatus; reason: string; message: string; request_id: string; details?: readonly FieldIssue[] };
}

// Fastify's own error codes for bad requests that never reach a handler (the fourth entry is an
// HTTP code other than the status word's).
const FASTIFY_CODES: Record<string, [ErrorStatus, string, string, number?]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_ARGUMENT', 'MALFORMED_JSON', 'the body is not valid JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['INVALID_ARGUMENT', 'BODY_TOO_LARGE', 'the body is larger than 1 MiB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_ARGUMENT', 'MALFORMED_JSON', 'the body is empty but the content type is application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the content length does not match the body'],
  FST_ERR_CTP_INVALID_TYPE: ['INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'the content type is invalid'],
  FST_ERR_NOT_FOUND: ['NOT_FOUND', 'ROUTE_NOT_FOUND', 'no such endpoint'],
  FST_ERR_BAD_URL: ['INVALID_ARGUMENT', 'MALFORMED_URL', 'the URL is not valid percent-encoding'],
  FST_ERR_MAX_PARAM_LENGTH: ['INVALID_ARGUMENT', 'URI_TOO_LONG', 'a path segment is longer than 200 characters', 414],
  FST_ERR_ASYNC_CONSTRAINT: ['INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the request is malformed'],
};

/** Map any thrown value to the envelope's status word, reason and message. */
export function classifyError(err: unknown): { status: ErrorStatus; reason: string; message: string; details: readonly FieldIssue[]; httpStatus?: number } {
  if (err instanceof ApiError) {
    const c = { status: err.status, reason: err.code, message: err.message, details: err.details };
    return err.httpStatus === undefined ? c : { ...c, httpStatus: err.httpStatus };
  }
  if (err instanceof ValidationError) return { status: 'INVALID_ARGUMENT', reason: err.code, message: err.message, details: err.details };
  if (err instanceof NotFoundError) return { status: 'NOT_FOUND', reason: err.code, message: err.message, details: [] };
  if (err instanceof ConflictError) return { status: 'ALREADY_EXISTS', reason: err.code, message: err.message, details: err.details };
  if (err instanceof InvalidStateError) return { status: 'FAILED_PRECONDITION', reason: err.code, message: err.message, details: [] };
  if (err instanceof PermissionError) return { status: 'PERMISSION_DENIED', reason: err.code, message: err.message, details: [] };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FASTIFY_CODES[code]) {
    const [status, reason, message, httpStatus] = FASTIFY_CODES[code];
    return httpStatus === undefined ? { status, reason, message, details: [] } : { status, reason, message, details: [], httpStatus };
  }
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: 'INVALID_ARGUMENT', reason: 'MALFORMED_REQUEST', message: 'the request is malformed', details: [] };
  }
  return { status: 'INTERNAL', reason: 'INTERNAL', message: 'internal error', details: [] };
}

/** Build the envelope for an error. */
export function errorEnvelope(err: unknown, requestId: string): { statusCode: number; body: ErrorEnvelope } {
  const c = classifyError(err);
  const body: ErrorEnvelope = { error: { status: c.status, reason: c.reason, message: c.message, request_id: requestId } };
  if (c.details.length > 0) body.error.details = c.details;
  return { statusCode: c.httpStatus ?? ERROR_STATUS[c.status], body };
}

// Rejections by Node's HTTP parser, before fastify sees a request (the server's 'clientError').
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'the request line and headers are larger than 16 KiB'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'the request was not received in time'],
};

/**
 * The raw HTTP/1.1 response for a request Node's parser rejected (bad syntax, an unknown method,
 * oversized headers, a slow client), in the same envelope as every other error; the connection
 * closes after it.
 */
export function clientErrorResponse(err: unknown, requestId: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  const [statusCode, reason, message] = (typeof code === 'string' && CLIENT_ERRORS[code]) || [400, 'MALFORMED_REQUEST', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { status: 'INVALID_ARGUMENT', reason, message, request_id: requestId } } satisfies ErrorEnvelope);
  const head = `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n`;
  return `${head}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** 404 for a resource that does not exist or belongs to another customer. */
export function notFound(resource: string, id: string): ApiError {
  return new ApiError('NOT_FOUND', `${resource.toUpperCase()}_NOT_FOUND`, `${resource} ${id} not found`);
}
