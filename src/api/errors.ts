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

  constructor(status: ErrorStatus, code: string, message: string, details: readonly FieldIssue[] = []) {
    super(code, message, { details });
    this.status = status;
  }
}

/** The JSON body of every error response. */
export interface ErrorEnvelope {
  error: { status: ErrorStatus; reason: string; message: string; request_id: string; details?: readonly FieldIssue[] };
}

// Fastify's own error codes for bad requests that never reach a handler.
const FASTIFY_CODES: Record<string, [ErrorStatus, string, string]> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ['INVALID_ARGUMENT', 'MALFORMED_JSON', 'the body is not valid JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['INVALID_ARGUMENT', 'BODY_TOO_LARGE', 'the body is larger than 1 MiB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'the body must be application/json'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['INVALID_ARGUMENT', 'MALFORMED_JSON', 'the body is empty but the content type is application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the content length does not match the body'],
  FST_ERR_CTP_INVALID_TYPE: ['INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE', 'the content type is invalid'],
  FST_ERR_NOT_FOUND: ['NOT_FOUND', 'ROUTE_NOT_FOUND', 'no such endpoint'],
  FST_ERR_BAD_URL: ['INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the URL is malformed'],
  FST_ERR_ASYNC_CONSTRAINT: ['INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the request is malformed'],
};

/** Map any thrown value to the envelope's status word, reason and message. */
export function classifyError(err: unknown): { status: ErrorStatus; reason: string; message: string; details: readonly FieldIssue[] } {
  if (err instanceof ApiError) return { status: err.status, reason: err.code, message: err.message, details: err.details };
  if (err instanceof ValidationError) return { status: 'INVALID_ARGUMENT', reason: err.code, message: err.message, details: err.details };
  if (err instanceof NotFoundError) return { status: 'NOT_FOUND', reason: err.code, message: err.message, details: [] };
  if (err instanceof ConflictError) return { status: 'ALREADY_EXISTS', reason: err.code, message: err.message, details: err.details };
  if (err instanceof InvalidStateError) return { status: 'FAILED_PRECONDITION', reason: err.code, message: err.message, details: [] };
  if (err instanceof PermissionError) return { status: 'PERMISSION_DENIED', reason: err.code, message: err.message, details: [] };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && FASTIFY_CODES[code]) {
    const [status, reason, message] = FASTIFY_CODES[code];
    return { status, reason, message, details: [] };
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
  return { statusCode: ERROR_STATUS[c.status], body };
}

/** 404 for a resource that does not exist or belongs to another customer. */
export function notFound(resource: string, id: string): ApiError {
  return new ApiError('NOT_FOUND', `${resource.toUpperCase()}_NOT_FOUND`, `${resource} ${id} not found`);
}
