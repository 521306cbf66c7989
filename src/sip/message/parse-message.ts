import { SipHeaders } from './headers.ts';
import { parseCSeq } from './cseq.ts';
import { SipParseError } from './sip-parse-error.ts';
import type { SipParsePartial } from './sip-parse-error.ts';
import type { SipMessage } from './types.ts';

const CRLFCRLF = '\r\n\r\n';
const LFLF = '\n\n';
const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const REQUEST_URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]+$/;
const SIP_VERSION_RE = /^SIP\/2\.0$/i;
const ANY_VERSION_RE = /^SIP\/\d+\.\d+$/i;
const REQUIRED_REQUEST_HEADERS = ['to', 'from', 'cseq', 'call-id', 'via'] as const;

interface Head {
  startLine: string;
  headers: SipHeaders;
  bodyStart: number;
}

/** Index of the first byte that is not CR or LF (RFC 3261 §7.5: CRLFs before a start line are ignored). */
function firstContentByte(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

function splitHead(buf: Buffer): Head {
  const start = firstContentByte(buf);
  if (start === buf.length) throw new SipParseError('empty message (keep-alive)');
  let headEnd = buf.indexOf(CRLFCRLF, start);
  let bodyStart = headEnd + 4;
  if (headEnd < 0) {
    // Tolerance: some peers end lines with a bare LF; a datagram may also omit the blank line.
    headEnd = buf.indexOf(LFLF, start);
    bodyStart = headEnd + 2;
    if (headEnd < 0) headEnd = bodyStart = buf.length;
  }
  const head = buf.toString('utf8', start, headEnd);
  const nl = head.indexOf('\n');
  const startLine = head.slice(0, lineEnd(head, 0, nl < 0 ? head.length : nl));
  return { startLine, headers: parseHeaderLines(head, nl < 0 ? head.length : nl + 1), bodyStart };
}

/** End of the line's content: before the CR of a CRLF ending at `nl`. */
function lineEnd(head: string, from: number, nl: number): number {
  return nl > from && head.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
}

// Header names repeat from message to message: remember the ones already checked (capped).
const VALID_NAMES = new Set<string>();

function checkName(name: string, line: string, headers: SipHeaders): void {
  if (VALID_NAMES.has(name)) return;
  if (!TOKEN_RE.test(name))
    throw new SipParseError(`malformed header line '${line.slice(0, 40)}'`, { partial: { headers } });
  if (VALID_NAMES.size < 2000) VALID_NAMES.add(name);
}

/** Header lines from `pos`; RFC 3261 §7.3.1: a line opening with SP/HT continues the previous value. */
function parseHeaderLines(head: string, pos: number): SipHeaders {
  const headers = new SipHeaders();
  let name = '';
  let value = '';
  while (pos < head.length) {
    const nl = head.indexOf('\n', pos);
    const next = nl < 0 ? head.length : nl + 1;
    const end = lineEnd(head, pos, nl < 0 ? head.length : nl);
    const first = head.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) {
      if (name === '') throw new SipParseError('continuation line before any header');
      const more = trimLws(head, pos, end);
      value = value === '' ? more : more === '' ? value : `${value} ${more}`;
    } else if (end > pos) {
      if (name !== '') headers.append(name, value);
      const colon = head.indexOf(':', pos);
      name = colon < 0 || colon > end ? '' : head.slice(pos, colon);
      if (isSpace(name.charCodeAt(name.length - 1))) name = name.trimEnd();
      checkName(name, head.slice(pos, end), headers);
      value = trimLws(head, colon + 1, end);
    }
    pos = next;
  }
  if (name !== '') headers.append(name, value);
  return headers;
}

/** `head[from, to)` without surrounding SP/HT; String.trim would also strip characters such as U+FEFF. */
function trimLws(head: string, from: number, to: number): string {
  while (from < to && isSpace(head.charCodeAt(from))) from++;
  while (to > from && isSpace(head.charCodeAt(to - 1))) to--;
  return head.slice(from, to);
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** RFC 3261 §18.3: Content-Length bounds the body; a shorter datagram is an error, extra bytes are dropped. */
function readBody(buf: Buffer, bodyStart: number, headers: SipHeaders, partial: SipParsePartial): Buffer {
  const available = Math.max(0, buf.length - bodyStart);
  const cl = headers.get('content-length');
  let length = available;
  if (cl !== undefined) {
    if (!/^\d{1,10}$/.test(cl)) throw new SipParseError(`bad Content-Length '${cl}'`, { partial });
    length = Number(cl);
    if (length > available) throw new SipParseError(`body shorter than Content-Length ${length}`, { partial });
  }
  if (length === 0) return Buffer.alloc(0);
  // A copy, so the body outlives a receive buffer the transport may reuse.
  const body = Buffer.allocUnsafe(length);
  body.set(buf.subarray(bodyStart, bodyStart + length));
  return body;
}

function parseRequestLine(line: string, partial: SipParsePartial): { method: string; uri: string } {
  const parts = line.split(' ');
  const [method = '', uri = '', version = ''] = parts;
  if (parts.length !== 3 || !TOKEN_RE.test(method) || !REQUEST_URI_RE.test(uri)) {
    throw new SipParseError(`malformed request line '${line.slice(0, 80)}'`, { partial });
  }
  if (!SIP_VERSION_RE.test(version)) {
    const status = ANY_VERSION_RE.test(version) ? 505 : 400;
    throw new SipParseError(`unsupported SIP version '${version}'`, { partial, status });
  }
  return { method, uri };
}

function checkRequestHeaders(headers: SipHeaders, method: string, partial: SipParsePartial): void {
  let seen = 0;
  for (const [key] of headers.lines()) {
    const bit = REQUIRED_REQUEST_HEADERS.indexOf(key as (typeof REQUIRED_REQUEST_HEADERS)[number]);
    if (bit >= 0) seen |= 1 << bit;
  }
  REQUIRED_REQUEST_HEADERS.forEach((name, bit) => {
    if ((seen & (1 << bit)) === 0) throw new SipParseError(`request without ${name} header`, { partial });
  });
  const cseq = parseCSeqOrThrow(headers, partial);
  if (cseq.method !== method)
    throw new SipParseError(`CSeq method ${cseq.method} does not match ${method}`, { partial });
}

function parseCSeqOrThrow(headers: SipHeaders, partial: SipParsePartial): { seq: number; method: string } {
  try {
    return parseCSeq(headers.get('cseq') ?? '');
  } catch (err) {
    throw new SipParseError('bad CSeq header', { partial, cause: err });
  }
}

function parseResponse(line: string, head: Head, buf: Buffer): SipMessage {
  const partial: SipParsePartial = { headers: head.headers };
  const m = /^(SIP\/\d+\.\d+) (\d{3})(?: (.*))?$/i.exec(line);
  if (!m || !SIP_VERSION_RE.test(m[1]!))
    throw new SipParseError(`malformed status line '${line.slice(0, 80)}'`, { partial });
  const status = Number(m[2]);
  if (status < 100 || status > 699) throw new SipParseError(`status code ${status} out of range`, { partial });
  if (!head.headers.has('via')) throw new SipParseError('response without Via header', { partial });
  parseCSeqOrThrow(head.headers, partial);
  const body = readBody(buf, head.bodyStart, head.headers, partial);
  return { kind: 'response', status, reason: m[3] ?? '', headers: head.headers, body };
}

/**
 * Parse one complete SIP message (a datagram or a frame cut by a stream transport).
 * Throws SipParseError, with `partial` set once the headers were read so the caller can answer 400.
 */
export function parseMessage(buf: Buffer): SipMessage {
  const head = splitHead(buf);
  const line = head.startLine;
  if (line.startsWith('SIP/') || line.startsWith('sip/')) return parseResponse(line, head, buf);
  const sp = line.indexOf(' ');
  const partial: SipParsePartial = { headers: head.headers };
  if (sp > 0) partial.method = line.slice(0, sp);
  const { method, uri } = parseRequestLine(line, partial);
  checkRequestHeaders(head.headers, method, partial);
  const body = readBody(buf, head.bodyStart, head.headers, partial);
  return { kind: 'request', method, uri, headers: head.headers, body };
}
