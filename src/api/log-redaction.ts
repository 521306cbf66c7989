import type { LoggerOptions } from 'pino';

/**
 * Keeping credentials out of log lines. An access key or login token travels in the
 * `Authorization` header, in `?accesskey=`/`?token=` or in a cookie (docs/architecture.md, API);
 * a webhook or flow URL may carry a customer's own secret in its query string. Whatever a module
 * logs — a URL, headers, an error whose message quotes a URL — passes through here first.
 */

const MASK = '[REDACTED]';

/** Field names whose values are never logged (compared in lower case). */
const SECRET_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'accesskey',
  'access_key',
  'token',
  'password',
  'secret',
  'webhook_secret',
  'jwt_secret',
  'auth_password',
]);

// Query parameters that carry credentials, in any URL-like text.
const SECRET_PARAM =
  /([?&;](?:accesskey|access_key|token|api_key|apikey|key|password|secret|sig|signature)=)[^&#\s"'<>]*/gi;
// `Bearer <token>` and `Basic <credentials>` as they appear in a header echoed into a message.
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;
// callbin access keys (`vb_` + 40 characters) and JWTs, wherever they appear.
const ACCESS_KEY = /\bvb_[A-Za-z0-9_-]{6,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
// user:password@ in a URL.
const USERINFO = /(\/\/)[^/@\s:]+:[^/@\s]*@/g;

/** `text` with credentials in query strings, auth schemes, access keys, JWTs and URL user info masked. */
export function redactText(text: string): string {
  if (!/[=@]|vb_|eyJ|Bearer|Basic/i.test(text)) return text;
  return text
    .replace(SECRET_PARAM, `$1${MASK}`)
    .replace(AUTH_SCHEME, `$1 ${MASK}`)
    .replace(ACCESS_KEY, `vb_${MASK}`)
    .replace(JWT, MASK)
    .replace(USERINFO, `$1${MASK}@`);
}

const MAX_DEPTH = 8;

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value) || depth >= MAX_DEPTH) return '[…]';
  seen.add(value);
  if (value instanceof Error) return redactError(value, depth, seen);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value; // class instances (Buffers, URLs…) are left to their serializer
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SECRET_KEYS.has(k.toLowerCase()) && v !== undefined && v !== null && v !== ''
        ? MASK
        : redactValue(v, depth + 1, seen);
  }
  return out;
}

function redactError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  // The shape of pino's standard error serializer, with every string passed through redactText.
  const out: Record<string, unknown> = {
    type: err.name,
    message: redactText(err.message),
    stack: redactText(err.stack ?? ''),
  };
  for (const [k, v] of Object.entries(err)) {
    if (k !== 'message' && k !== 'stack')
      out[k] = SECRET_KEYS.has(k.toLowerCase()) ? MASK : redactValue(v, depth + 1, seen);
  }
  if (err.cause !== undefined) out.cause = redactValue(err.cause, depth + 1, seen);
  return out;
}

/** A copy of a log line's fields with every credential masked (nested objects, errors and their causes included). */
export function redactLogFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactValue(fields, 0, new WeakSet()) as Record<string, unknown>;
}

/** pino options that mask credentials in every line: fields, child bindings and the message. */
export function redactingLoggerOptions(): Pick<LoggerOptions, 'formatters' | 'hooks' | 'serializers'> {
  return {
    // Errors were already turned into redacted plain objects by the `log` formatter, which runs first.
    serializers: { err: (e: unknown) => (e instanceof Error ? redactError(e, 0, new WeakSet()) : e) },
    formatters: {
      log: redactLogFields,
      bindings: redactLogFields,
    },
    hooks: {
      logMethod(args, method) {
        const clean = args.map((a: unknown) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<
          typeof method
        >;
        method.apply(this, clean);
      },
    },
  };
}
