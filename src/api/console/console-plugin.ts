import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { rootPlugin } from '../plugins/root-plugin.ts';
import { consoleBundle } from './console-bundle.ts';

/** What the console page needs to know of the server. */
export interface ConsolePageOptions {
  /** `production` marks the cleared sign-in cookie `Secure`, as the login sets it. */
  mode: 'local' | 'production';
}

/** True for the paths the console page and its assets live under: public, they hold no secret. */
export function isConsolePath(path: string): boolean {
  return path === '/console' || path.startsWith('/console/');
}

/**
 * The page's headers: its own origin only (scripts, styles, the API and the event stream's
 * WebSocket), recordings played from `blob:` URLs; no framing, no referrer, no form submission (the
 * forms are handled by script, so a password or key never goes into a URL). The editor's style
 * elements carry the page's one-time `nonce`. docs/console.md "Serving".
 */
function pageHeaders(reply: FastifyReply, type: string, nonce?: string): FastifyReply {
  return reply
    .type(type)
    .header(
      'content-security-policy',
      [
        "default-src 'none'",
        "script-src 'self'",
        nonce === undefined ? "style-src 'self'" : `style-src 'self' 'nonce-${nonce}'`,
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
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
 * The web console at `/console` (docs/console.md): one HTML page, its script and style sheet (the
 * console's modules with uPlot and CodeMirror, bundled on first request), and `POST
 * /console/signout`, which clears the login cookie the page cannot reach from script (it is
 * HttpOnly). No credential needed: the page signs in to the API from the browser.
 */
export function consolePagePlugin(o: ConsolePageOptions) {
  return rootPlugin('callbin-console-page', (app) => {
    const html = readFileSync(new URL('./client/index.html', import.meta.url), 'utf8');
    const hide = { schema: { hide: true } };
    const page = async (_req: unknown, reply: FastifyReply) => {
      const nonce = randomBytes(16).toString('base64');
      return pageHeaders(reply, 'text/html; charset=utf-8', nonce).send(html.replace('{{nonce}}', nonce));
    };
    app.get('/console', hide, page);
    app.get('/console/index.html', hide, page);
    app.get('/console/console.js', hide, async (_req, reply) => {
      const { js } = await consoleBundle();
      return pageHeaders(reply, 'text/javascript; charset=utf-8').send(js);
    });
    app.get('/console/console.css', hide, async (_req, reply) => {
      const { css } = await consoleBundle();
      return pageHeaders(reply, 'text/css; charset=utf-8').send(css);
    });
    app.post('/console/signout', hide, async (_req, reply) => {
      const secure = o.mode === 'production' ? '; Secure' : '';
      reply.header('set-cookie', `token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure}`);
      return pageHeaders(reply, 'application/json; charset=utf-8').send({ signed_out: true });
    });
  });
}
