import type { SipMessage } from './types.ts';

/**
 * The wire form of a message: start line, header lines in order, a Content-Length computed
 * from the body (replacing any written one, at its position), a blank line and the body.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  let head =
    msg.kind === 'request' ? `${msg.method} ${msg.uri} SIP/2.0\r\n` : `SIP/2.0 ${msg.status} ${msg.reason}\r\n`;
  const contentLength = `Content-Length: ${msg.body.length}\r\n`;
  let wroteLength = false;
  for (const [key, name, value] of msg.headers.lines()) {
    if (key === 'content-length') {
      if (!wroteLength) head += contentLength;
      wroteLength = true;
      continue;
    }
    head += `${name}: ${value}\r\n`;
  }
  if (!wroteLength) head += contentLength;
  head += '\r\n';
  if (msg.body.length === 0) return Buffer.from(head, 'utf8');
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + msg.body.length);
  out.write(head, 0, 'utf8');
  out.set(msg.body, headBytes);
  return out;
}
