import { Type } from 'typebox';

/** Upper bound of every millisecond duration option: one hour. */
export const MAX_DURATION_MS = 3_600_000;

/** A duration in milliseconds, an integer within `[minMs, maxMs]`. */
export function durationMs(minMs: number, maxMs: number, description: string) {
  return Type.Integer({ minimum: minMs, maximum: maxMs, description: `${description} (ms)` });
}

/** A duration in seconds, an integer within `[minSec, maxSec]`. */
export function durationSec(minSec: number, maxSec: number, description: string) {
  return Type.Integer({ minimum: minSec, maximum: maxSec, description: `${description} (s)` });
}

/**
 * The id of another action of the same list, checked against the list by the validator; with
 * `unsetAllowed`, `""` or the nil UUID mean "no jump" (fall through to the next action).
 */
export function actionRef(description: string, unsetAllowed = false) {
  return Type.String({
    maxLength: 64,
    description,
    'x-reason': 'INVALID_ACTION_TARGET',
    'x-check': unsetAllowed ? 'action-ref-or-unset' : 'action-ref',
  });
}

const UUID_PATTERN = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/** A UUID of a stored resource (flow, conference). */
export function resourceId(description: string) {
  return Type.String({ pattern: `^${UUID_PATTERN}$`, description: `${description} (a UUID)` });
}

/** A UUID of a resource, or `""` (with the nil UUID, "none"). */
export function resourceIdOrUnset(description: string) {
  return Type.String({
    pattern: `^(${UUID_PATTERN})?$`,
    description: `${description} (a UUID; "" or the nil UUID for none)`,
  });
}

/** An absolute http or https URL. */
export function httpUrl(description: string) {
  return Type.String({
    pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+[^\\s]*$',
    maxLength: 2048,
    description: `${description}: an http(s) URL`,
  });
}

/** `anonymous` of `connect` and `call`: `"yes"` hides the caller id, as in `POST /calls`. */
export const Anonymous = Type.Enum(['yes', 'no', ''], { description: '"yes": hide the caller id' });

/** An HTTP method the customer's server may be called with. */
export const HttpMethod = Type.Enum(['GET', 'POST', 'PUT', 'DELETE'], { description: 'HTTP method' });

/** DTMF symbols of RFC 4733 telephone-events 0-15. */
export const DTMF_DIGITS_PATTERN = '^[0-9*#A-D]+$';

/** The `==` … `<=` comparison of the condition actions. */
export const Comparison = Type.Enum(['==', '!=', '>', '>=', '<', '<='], { description: 'comparison operator' });

/** Shape of a BCP-47 language tag (`en-US`, `de-DE`, `ko-KR`); whether it is spoken is asked separately. */
export const LANGUAGE_TAG_PATTERN = '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$';

/** Shape of an IANA time-zone name; whether the zone exists is asked of `Intl`. */
export const TIMEZONE_PATTERN = '^[A-Za-z][A-Za-z0-9_+\\-/]{0,63}$';
