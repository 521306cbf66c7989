import { createResponse, getTag, validateRequest } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';

/** Methods the user agent core implements (the Allow header). */
export const ALLOWED_METHODS: readonly string[] = [
  'INVITE',
  'ACK',
  'CANCEL',
  'BYE',
  'OPTIONS',
  'UPDATE',
  'INFO',
  'REFER',
  'NOTIFY',
];

/** RFC 3261 methods that exist but that this UA only serves through a registered handler (→ 405). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([...ALLOWED_METHODS, 'REGISTER']);

/** Methods that only make sense inside a dialog (→ 481 outside one). */
export const DIALOG_ONLY_METHODS: ReadonlySet<string> = new Set(['BYE', 'UPDATE', 'INFO', 'REFER', 'NOTIFY']);

/** Body types the UA understands (the Accept header). */
export const ACCEPTED_TYPES: readonly string[] = [
  'application/sdp',
  'message/sipfrag',
  'application/dtmf-relay',
  'application/dtmf',
];

/** Allow, Accept and Supported header lines for answers to OPTIONS and for 405/415 responses. */
export function capabilityHeaders(supported: readonly string[]): [string, string][] {
  return [
    ['Allow', ALLOWED_METHODS.join(', ')],
    ['Accept', ACCEPTED_TYPES.join(', ')],
    ['Supported', supported.join(', ')],
  ];
}

/** A body as bytes. */
export function toBody(body: Buffer | string | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** The media type of a message without parameters, lower-cased (`application/sdp`). */
export function mediaType(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Checks every request gets before the UA looks at its method: a malformed request is 400
 * with the reason (RFC 3261 §8.2.1 leaves details to the UAS), an extension we do not support
 * in Require is 420 with Unsupported (§8.2.2.3). Undefined when the request may proceed.
 */
export function preflight(req: SipRequest, supported: readonly string[]): SipResponse | undefined {
  let problem = validateRequest(req);
  if (problem === undefined) {
    try {
      getTag(req.headers, 'to');
      getTag(req.headers, 'from');
    } catch {
      problem = 'From/To: malformed';
    }
  }
  if (problem !== undefined) return createResponse(req, 400, sanitizeReason(problem));
  const unsupported = req.headers.getAll('require').filter((tag) => !supported.includes(tag.toLowerCase()));
  if (unsupported.length > 0)
    return createResponse(req, 420, undefined, { headers: [['Unsupported', unsupported.join(', ')]] });
  return undefined;
}

/** A reason phrase must stay on one line and within reason (it echoes peer input). */
function sanitizeReason(text: string): string {
  return `Bad Request (${text.replace(/[\r\n\0]+/g, ' ').slice(0, 100)})`;
}
