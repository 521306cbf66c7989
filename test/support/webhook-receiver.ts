import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, with the status it answered. */
export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
  status: number;
}

/** How to answer one request: a status, optionally after a delay (real milliseconds). */
export interface Reply {
  status: number;
  sleepMs?: number;
  headers?: Record<string, string>;
}

/** Decides the reply per request; the default answers 200. */
export type Responder = (req: Omit<ReceivedWebhook, 'status'>) => Reply | number;

/**
 * A real local HTTP server playing a customer's webhook receiver: it records every request, can be
 * told to answer 503/400/sleep, and can go down (refuse connections) and come back on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  #server: Server;
  #port = 0;
  #responder: Responder = () => 200;
  #waiters: (() => void)[] = [];
  #sleeping = new Set<NodeJS.Timeout>();

  private constructor() {
    this.#server = this.#create();
  }

  /** Listen on an ephemeral loopback port. */
  static async start(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    await r.#listen(0);
    return r;
  }

  /** The URL of `path` on this receiver. */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** Replace how requests are answered. */
  respondWith(responder: Responder): void {
    this.#responder = responder;
  }

  /** Requests answered 2xx. */
  get delivered(): ReceivedWebhook[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Stop listening and drop open connections: senders get connection errors until `comeUp()`. */
  async goDown(): Promise<void> {
    const server = this.#server;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Listen again on the same port. */
  async comeUp(): Promise<void> {
    this.#server = this.#create();
    await this.#listen(this.#port);
  }

  /** Resolve once `predicate` holds (checked after every request), or reject after `timeoutMs`. */
  async waitFor(predicate: (r: WebhookReceiver) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`webhook receiver: timed out waiting for ${what} (${this.received.length} requests so far)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Close the server and every connection. */
  async close(): Promise<void> {
    for (const t of this.#sleeping) clearTimeout(t);
    this.#sleeping.clear();
    if (this.#server.listening) await this.goDown();
  }

  #create(): Server {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
        const answer = this.#responder(seen);
        const reply = typeof answer === 'number' ? { status: answer } : answer;
        this.#answer(res, reply, () => this.#record({ ...seen, status: reply.status }));
      });
    });
    server.keepAliveTimeout = 30_000;
    return server;
  }

  #answer(res: ServerResponse, reply: Reply, recorded: () => void): void {
    const send = () => {
      recorded();
      res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
      res.end('{}');
    };
    if (!reply.sleepMs) return send();
    const t = setTimeout(() => {
      this.#sleeping.delete(t);
      if (!res.destroyed) send();
    }, reply.sleepMs);
    this.#sleeping.add(t);
  }

  #record(r: ReceivedWebhook): void {
    this.received.push(r);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }
}
