import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CallerMedia } from './caller-rtp.ts';
import { SIPP_FIXTURES, startTestCallbin } from './callbin.ts';
import type { ApiResponse } from './callbin.ts';
import { startSipp } from './calls-harness.ts';
import type { SippProcess } from './calls-harness.ts';
import { freeMediaPort, freePort } from './sipp.ts';

const run = promisify(execFile);

export { CallerMedia } from './caller-rtp.ts';

/** A whole callbin in this process (store, SIP, media, flows, API) on ephemeral loopback ports. */
export interface FlowsCallbin {
  apiUrl: string;
  sipPort: number;
  /** The default customer the admin key belongs to, with its webhook secret. */
  customer: { id: string; webhook_secret: string };
  /** Calls `/v1.0<path>` with the admin key; the body is JSON. */
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** Starts callbin in-process (the suite's `startTestCallbin`) and reads the default customer's webhook secret. */
export async function startFlowsCallbin(): Promise<FlowsCallbin> {
  const callbin = await startTestCallbin();
  const api: FlowsCallbin['api'] = (method, path, body) => callbin.api(method, `/v1.0${path}`, body);
  try {
    const me = await api('GET', '/customer');
    if (me.status !== 200) throw new Error(`GET /customer answered ${me.status}`);
    return {
      apiUrl: callbin.handle.apiUrl,
      sipPort: callbin.sipPort,
      api,
      customer: { id: me.body.id, webhook_secret: me.body.webhook_secret },
      close: () => callbin.close(),
    };
  } catch (err) {
    await callbin.close();
    throw err;
  }
}

/** Polls `probe` every 100 ms until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One request the customer's server got. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the customer's server answers one path: a body (JSON text or raw), after an optional delay; `hang` never answers. */
export interface ServerReply {
  status?: number;
  body?: string | Buffer;
  contentType?: string;
  sleepMs?: number;
  hang?: boolean;
}

/**
 * The customer's server: answers each path as told (actions for `fetch`, a WAV for `play`, a slow
 * 200 for a webhook) and logs `<path> arrived` / `<path> answered` in the order they happened.
 */
export class CustomerServer {
  readonly received: SeenRequest[] = [];
  readonly log: string[] = [];
  readonly #replies = new Map<string, ServerReply>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        this.received.push({
          method: req.method ?? '',
          path,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        this.log.push(`${path} arrived`);
        const reply = this.#replies.get(path) ?? { status: 404 };
        if (reply.hang) return;
        const answer = (): void => {
          this.log.push(`${path} answered`);
          res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType ?? 'application/json' });
          res.end(reply.body ?? '{}');
        };
        if (!reply.sleepMs) return answer();
        const t = setTimeout(() => {
          this.#timers.delete(t);
          answer();
        }, reply.sleepMs);
        this.#timers.add(t);
      });
    });
  }

  /** Listens on an ephemeral loopback port. */
  static async start(): Promise<CustomerServer> {
    const s = new CustomerServer();
    await new Promise<void>((resolve) => s.#server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** The URL of `path` on this server. */
  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** Sets how `path` is answered. */
  on(path: string, reply: ServerReply): this {
    this.#replies.set(path, reply);
    return this;
  }

  /** The requests that reached `path`. */
  requestsTo(path: string): SeenRequest[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Closes the server and every open (or hanging) connection. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** 8 kHz mono 16-bit PCM samples as a WAV file. */
export function wavOf(samples: Int16Array): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A sine tone of `ms` milliseconds at 8 kHz, half full scale. */
export function toneSamples(ms: number, hz = 440): Int16Array {
  const out = new Int16Array((ms * 8000) / 1000);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(16000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  return out;
}

/** Speech of `text` from espeak-ng as 8 kHz µ-law bytes (ready to cut into 160-byte RTP payloads), then `silenceMs` of silence. */
export async function speechMulaw(text: string, silenceMs = 0): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-flows-tts-'));
  try {
    const wav = join(dir, 'speech.wav');
    const raw = join(dir, 'speech.ul');
    await run('espeak-ng', ['-v', 'en-us', '-w', wav, text]);
    await run('sox', [wav, '-r', '8000', '-c', '1', '-e', 'mu-law', '-t', 'raw', raw]);
    return Buffer.concat([await readFile(raw), Buffer.alloc((silenceMs * 8000) / 1000, 0xff)]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Creates a flow of `actions` and binds `number` to it through the API; returns the flow id. */
export async function numberWithFlow(callbin: FlowsCallbin, number: string, actions: unknown[]): Promise<string> {
  const flow = await callbin.api('POST', '/flows', { name: `flow of ${number}`, actions });
  if (flow.status !== 200) throw new Error(`POST /flows answered ${flow.status}: ${JSON.stringify(flow.body)}`);
  await bindNumber(callbin, number, flow.body.id);
  return flow.body.id;
}

/** Binds `number` to the stored flow `flowId` through the API. */
export async function bindNumber(callbin: FlowsCallbin, number: string, flowId: string): Promise<void> {
  const bound = await callbin.api('POST', '/numbers', { number, call_flow_id: flowId });
  if (bound.status !== 200) throw new Error(`POST /numbers answered ${bound.status}: ${JSON.stringify(bound.body)}`);
}

/** Starts a sipp caller (fixture `scenario`) dialling `number`, its SDP pointing at `media`. */
export async function startCaller(
  callbin: FlowsCallbin,
  scenario: string,
  number: string,
  media: CallerMedia,
): Promise<SippProcess> {
  return startSipp([
    '-sf',
    `${SIPP_FIXTURES}${scenario}`,
    `127.0.0.1:${callbin.sipPort}`,
    '-i',
    '127.0.0.1',
    '-p',
    String(await freePort('udp')),
    '-mp',
    String(await freeMediaPort()),
    '-m',
    '1',
    '-s',
    number,
    '-key',
    'rtp_port',
    String(media.port),
  ]);
}

/** The incoming call to `number` as `GET /calls` lists it, once `predicate` holds for it. */
export function incomingCallTo(
  callbin: FlowsCallbin,
  number: string,
  predicate: (call: any) => boolean,
  timeoutMs: number,
): Promise<any> {
  return eventually(
    async () => {
      const list = await callbin.api('GET', '/calls?direction=incoming&page_size=100');
      const found = (list.body.result as any[]).find((c) => c.destination.target === number);
      return found && predicate(found) ? found : undefined;
    },
    timeoutMs,
    `the incoming call to ${number}`,
  );
}

/** `GET /activeflows/{id}`. */
export async function activeflowOf(callbin: FlowsCallbin, activeflowId: string): Promise<any> {
  const res = await callbin.api('GET', `/activeflows/${activeflowId}`);
  if (res.status !== 200) throw new Error(`GET /activeflows/${activeflowId} answered ${res.status}`);
  return res.body;
}
