import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { jssipBundle } from '../phone/jssip-bundle.ts';
import { rootPlugin } from '../plugins/root-plugin.ts';

/** What the softphone page needs to know: the SIP domain and the bound SIP-over-WebSocket ports. */
export interface PhonePageOptions {
  sipDomain: string;
  /** The bound ports of `CALLBIN_SIP_WS_PORT` / `CALLBIN_SIP_WSS_PORT`; absent when off. */
  sipWebSocket?: { wsPort?: number | undefined; wssPort?: number | undefined } | undefined;
}

/** The page's files: a fixed list read once, so no request path ever names a file on disk. */
const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'phone.js': 'text/javascript; charset=utf-8',
  'phone-audio.js': 'text/javascript; charset=utf-8',
  'phone.css': 'text/css; charset=utf-8',
} as const;

/** True for the paths the page and its assets live under: public, they hold no secret. */
export function isPhonePath(path: string): boolean {
  return path === '/phone' || path.startsWith('/phone/');
}

/** A host name or IP literal from a Host header, or undefined when it is anything else. */
export function requestHostname(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
  return /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/.test(hostname) ? hostname : undefined;
}

/** The WebSocket URL a browser reaches callbin's SIP at: WSS when on, else WS; undefined when both are off. */
export function sipWebSocketUrl(o: PhonePageOptions, hostname: string): string | undefined {
  const { wsPort, wssPort } = o.sipWebSocket ?? {};
  if (wssPort !== undefined) return `wss://${hostname}:${wssPort}/`;
  if (wsPort !== undefined) return `ws://${hostname}:${wsPort}/`;
  return undefined;
}

/**
 * The page's headers: its own origin only (docs/webrtc.md "The softphone page"), plus the SIP
 * WebSocket it signs in over; no framing, no referrer, no form submission (the sign-in form is
 * handled by script, so a password never goes into a URL).
 */
function pageHeaders(reply: FastifyReply, type: string, wsUrl: string | undefined): void {
  const connect = wsUrl === undefined ? "'self'" : `'self' ${wsUrl.replace(/\/$/, '')}`;
  reply
    .type(type)
    .header(
      'content-security-policy',
      [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        `connect-src ${connect}`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    )
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
}

/**
 * The softphone page at `/phone` (docs/webrtc.md "The softphone page"): its HTML, script and
 * style, JsSIP as one browser script, and `config.json` with the SIP WebSocket URL for the host
 * the browser used. No credential needed: the page signs in to SIP, not to the API.
 */
export function phonePagePlugin(o: PhonePageOptions) {
  return rootPlugin('callbin-phone-page', (app) => {
    const files = new Map<string, Buffer>();
    for (const name of Object.keys(FILES)) files.set(name, readFileSync(new URL(`../phone/${name}`, import.meta.url)));
    const wsUrlOf = (req: FastifyRequest): string | undefined => {
      const hostname = requestHostname(req.headers.host);
      return hostname === undefined ? undefined : sipWebSocketUrl(o, hostname);
    };
    const serve = (name: keyof typeof FILES) => async (req: FastifyRequest, reply: FastifyReply) => {
      pageHeaders(reply, FILES[name], wsUrlOf(req));
      return files.get(name);
    };
    const hide = { schema: { hide: true } };
    app.get('/phone', hide, serve('index.html'));
    app.get('/phone/index.html', hide, serve('index.html'));
    app.get('/phone/phone.js', hide, serve('phone.js'));
    app.get('/phone/phone-audio.js', hide, serve('phone-audio.js'));
    app.get('/phone/phone.css', hide, serve('phone.css'));
    app.get('/phone/jssip.min.js', hide, async (req, reply) => {
      const body = await jssipBundle();
      pageHeaders(reply, 'text/javascript; charset=utf-8', wsUrlOf(req));
      return body;
    });
    app.get('/phone/config.json', hide, async (req, reply) => {
      const hostname = requestHostname(req.headers.host);
      if (hostname === undefined) throw new ApiError('MISSING_HOST', 'the Host header is not a host name');
      const wsUrl = sipWebSocketUrl(o, hostname);
      if (wsUrl === undefined)
        throw new ApiError(
          'SIP_WEBSOCKET_OFF',
          'SIP over WebSocket is off: set CALLBIN_SIP_WSS_PORT (with CALLBIN_SIP_TLS_CERT and CALLBIN_SIP_TLS_KEY), or CALLBIN_SIP_WS_PORT for development on localhost',
        );
      pageHeaders(reply, 'application/json; charset=utf-8', wsUrl);
      return { ws_url: wsUrl, sip_domain: o.sipDomain };
    });
  });
}
