import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, ServerOptions, WebSocket } from 'ws';
import { systemClock } from '../../../shared/index.ts';
import type { Clock, TimerHandle } from '../../../shared/index.ts';
import { MediaStreamClient } from '../stream-client.ts';
import type { StreamClientEnd } from '../stream-end.ts';
import type { StreamStartInfo } from '../stream-messages.ts';
import type { MediaStreamClientOptions } from '../stream-options.ts';

/** Most messages one test connection keeps before it fails the test instead of growing. */
const MAX_KEPT = 100_000;

/**
 * A message the bot received, parsed from JSON without checks: only the fields of its `event` are
 * there (a test reading another kind's field gets undefined and fails).
 */
export interface SeenMessage {
  event: string;
  sequenceNumber: string;
  streamSid: string;
  start: { mediaFormat: { encoding: string; sampleRate: number }; tracks: string[] };
  media: { track: string; chunk: string; timestamp: string; payload: string };
  mark: { name: string };
  dtmf: { track: string; digit: string };
  stop: { accountSid: string; callSid: string; reason: string };
}

/** What a test bot heard from one connection. */
export interface BotConnection {
  ws: WebSocket;
  headers: IncomingHttpHeaders;
  /** Text messages parsed as JSON (the raw text when not JSON), in order. */
  messages: unknown[];
  /** The next message not yet taken by `next` (waits for it). */
  next(): Promise<SeenMessage>;
  /** The close code and reason once the connection closed. */
  closed: Promise<{ code: number; reason: string }>;
}

/** A WebSocket server on 127.0.0.1 playing the bot in tests. */
export interface TestBot {
  /** `ws://127.0.0.1:<port>/stream` */
  url: string;
  port: number;
  /** TCP connections the server accepted. */
  readonly tcpConnections: number;
  /** The next connection (one already made and not yet taken, or the next one). */
  connection(): Promise<BotConnection>;
  close(): Promise<void>;
}

/** Starts a bot on an ephemeral port; `options` go to the ws server (e.g. `autoPong: false`). */
export async function startTestBot(options: Omit<ServerOptions, 'server' | 'port'> = {}): Promise<TestBot> {
  const http = createServer();
  let tcp = 0;
  http.on('connection', () => tcp++);
  const wss = new WebSocketServer({ ...options, server: http });
  const ready: BotConnection[] = [];
  const waiting: ((c: BotConnection) => void)[] = [];
  wss.on('connection', (ws, req) => {
    const connection = watch(ws, req.headers);
    const waiter = waiting.shift();
    if (waiter) waiter(connection);
    else ready.push(connection);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/stream`,
    port,
    get tcpConnections() {
      return tcp;
    },
    connection: () => {
      const c = ready.shift();
      return c ? Promise.resolve(c) : new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function watch(ws: WebSocket, headers: IncomingHttpHeaders): BotConnection {
  const messages: unknown[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  const arrived = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (messages.length >= MAX_KEPT) throw new Error('the test bot kept too many messages');
    const text = (Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer)).toString('utf8');
    let message: unknown = text;
    if (!isBinary) {
      try {
        message = JSON.parse(text);
      } catch {}
    }
    messages.push(message);
    const w = wake;
    wake = undefined;
    w?.();
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  const next = async (): Promise<SeenMessage> => {
    while (taken >= messages.length) await arrived();
    return messages[taken++] as SeenMessage;
  };
  return {
    ws,
    headers,
    messages,
    next,
    closed,
  };
}

/** Resolves once `condition` holds, checked every few milliseconds (`tries` times at most). */
export async function until(condition: () => boolean, what: string, tries = 2000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}

/** The system clock, counting the timers set and not yet fired or cleared. */
export class CountingClock implements Clock {
  readonly #active = new Set<TimerHandle>();

  /** Timers pending now. */
  get active(): number {
    return this.#active.size;
  }

  now(): number {
    return systemClock.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = systemClock.setTimeout(() => {
      this.#active.delete(handle);
      fn();
    }, ms);
    this.#active.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.#active.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

/** A client under test with its end recorded. */
export interface ClientUnderTest {
  client: MediaStreamClient;
  clock: CountingClock;
  opened: Promise<void>;
  /** The first `end`; `ends` counts them all. */
  ended: Promise<{ reason: StreamClientEnd; variables: Record<string, string> }>;
  readonly ends: number;
}

/** Connects a client with the system clock (through a {@link CountingClock}) and µ-law unless told. */
export function openClient(url: string, options: Partial<MediaStreamClientOptions> = {}): ClientUnderTest {
  const clock = new CountingClock();
  const client = new MediaStreamClient({ url, headers: {}, format: 'ulaw', clock, ...options });
  let ends = 0;
  const ended = new Promise<{ reason: StreamClientEnd; variables: Record<string, string> }>((resolve) =>
    client.on('end', (reason, variables) => {
      ends++;
      resolve({ reason, variables });
    }),
  );
  const opened = new Promise<void>((resolve) => client.on('open', resolve));
  return {
    client,
    clock,
    opened,
    ended,
    get ends() {
      return ends;
    },
  };
}

/** What a test stream's `start` carries. */
export const TEST_START: StreamStartInfo = {
  streamSid: 'stream-1',
  accountSid: 'customer-1',
  callSid: 'call-1',
  tracks: ['inbound', 'outbound'],
  customParameters: { greeting: 'hi' },
  callbin: { call_id: 'call-1', activeflow_id: 'flow-1', stream_id: 'stream-1', variables: { name: 'Ada' } },
};
