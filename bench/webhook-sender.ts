// The webhook request on its own: CPU µs per request of `WebhookSender.send()` (signing, SSRF
// guard, undici) with ~1 KB JSON bodies, `inflight` requests at once, each of another event and
// resource, against a node:http receiver in another process that answers 200. Baselines in the same run: a
// bare undici `dispatch()` loop (no signing) and, as the floor, bare `net.Socket`s writing
// pre-built requests and counting the answers. CPU is this process's `process.cpuUsage()` delta;
// with two or more cores this process runs on core 1 and the receiver on core 0 (`taskset`).
// Run: node --import tsx bench/webhook-sender.ts [requests] [inflight] [rounds] [only scenarios containing]
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { WebhookSender } from '../src/events/index.ts';
import { SsrfGuard, newId, systemClock } from '../src/shared/index.ts';

/** One scenario's cost. */
export interface SenderFigures {
  scenario: string;
  requests: number;
  cpuUsPerRequest: number;
  requestsPerSec: number;
}

// The receiver: answers every request 200 with an empty body once the body is read (keep-alive).
const RECEIVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.writeHead(200, { 'content-length': '0' }).end());
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

const pinnable = availableParallelism() >= 2 && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;

async function startReceiver(pin: boolean): Promise<{ port: number; child: ChildProcess }> {
  const argv = ['-e', RECEIVER];
  const child = pin ? spawn('taskset', ['-c', '0', process.execPath, ...argv]) : spawn(process.execPath, argv);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  return { port, child };
}

/** `count` distinct ~1 KB envelopes (event id, seq, resource id). */
function bodies(count: number): string[] {
  const padding = 'x'.repeat(760);
  return Array.from({ length: count }, (_, seq) =>
    JSON.stringify({
      type: 'call_updated',
      event_id: newId(),
      seq,
      tm_event: new Date().toISOString(),
      data: { id: newId(), status: 'progressing', direction: 'outgoing', detail: padding },
    }),
  );
}

/** Run `lanes` loops, each sending its next request when the previous one is answered. */
async function measure(
  scenario: string,
  requests: number,
  lanes: number,
  send: (lane: number, i: number) => Promise<void>,
): Promise<SenderFigures> {
  let next = 0;
  const lane = async (l: number): Promise<void> => {
    while (next < requests) await send(l, next++);
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: lanes }, (_, l) => lane(l)));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    scenario,
    requests,
    cpuUsPerRequest: (used.user + used.system) / requests,
    requestsPerSec: requests / seconds,
  };
}

/** The floor: one socket per lane writing pre-built requests, answers counted by their blank line. */
async function socketFloor(port: number, lanes: number, payloads: string[]) {
  const wire = payloads.map((b) =>
    Buffer.from(
      `POST /hook HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(b)}\r\n\r\n${b}`,
    ),
  );
  const sockets: { socket: Socket; waiting: (() => void) | undefined; tail: string }[] = [];
  for (let l = 0; l < lanes; l++) {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const s = { socket, waiting: undefined as (() => void) | undefined, tail: '' };
    socket.on('data', (d: Buffer) => {
      const text = s.tail + d.toString('latin1');
      let at = text.indexOf('\r\n\r\n');
      let from = 0;
      while (at !== -1) {
        const w = s.waiting;
        s.waiting = undefined;
        w?.();
        from = at + 4;
        at = text.indexOf('\r\n\r\n', from);
      }
      s.tail = text.slice(Math.max(from, text.length - 3));
    });
    sockets.push(s);
  }
  return {
    send: (lane: number, i: number) =>
      new Promise<void>((resolve) => {
        const s = sockets[lane] as (typeof sockets)[number];
        s.waiting = resolve;
        s.socket.write(wire[i % wire.length] as Buffer);
      }),
    close: () => {
      for (const s of sockets) s.socket.destroy();
    },
  };
}

/** Bare undici: `dispatch()` on a keep-alive Agent with a handler that drops the answer. */
function bareDispatch(port: number, lanes: number, payloads: string[]) {
  const agent = new Agent({ connections: lanes, keepAliveTimeout: 10_000 });
  const origin = `http://127.0.0.1:${port}`;
  const send = (_lane: number, i: number) =>
    new Promise<void>((resolve, reject) => {
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: () => {},
        onResponseEnd: () => resolve(),
        onResponseError: (_c, err) => reject(err),
      };
      agent.dispatch(
        {
          origin,
          path: '/hook',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: payloads[i % payloads.length] as string,
        },
        handler,
      );
    });
  return { send, close: () => agent.close() };
}

/** callbin: `WebhookSender.send()` as the delivery worker calls it (production guard, allow-listed receiver). */
function callbinSender(port: number, lanes: number, payloads: string[]) {
  const guard = new SsrfGuard({ mode: 'production', allow: ['127.0.0.1'] });
  const sender = new WebhookSender({ clock: systemClock, guard, timeoutMs: 5000, connectionsPerOrigin: lanes });
  const target = { uri: `http://127.0.0.1:${port}/hook`, method: 'POST' };
  const send = async (_lane: number, i: number) => {
    const r = await sender.send(target, payloads[i % payloads.length] as string, 'whsec_bench');
    if (r.statusCode !== 200) throw new Error(`webhook answered ${r.statusCode} ${r.error}`);
  };
  return { send, close: () => sender.close() };
}

/** One way of sending: builds its sender against the receiver's port; `close` ends it. */
export type Scenario = (
  port: number,
  lanes: number,
  payloads: string[],
) =>
  | { send: (lane: number, i: number) => Promise<void>; close: () => unknown }
  | Promise<{ send: (lane: number, i: number) => Promise<void>; close: () => unknown }>;

const SCENARIOS: [string, Scenario][] = [
  ['net.Socket, pre-built (floor)', socketFloor],
  ['bare undici dispatch()', bareDispatch],
  ['WebhookSender.send()', callbinSender],
];

/** Every scenario `rounds` times, interleaved; the median round of each. */
export async function runSenderBench(opts: {
  requests: number;
  inflight: number;
  rounds: number;
  /** Only the scenarios whose name contains this (for profiling one). */
  only?: string;
  /** Variants to measure beside the built-in scenarios. */
  extra?: [string, Scenario][];
  /** Pin this process to core 1 and the receiver to core 0 (when there are two cores and `taskset`). */
  pin?: boolean;
}): Promise<SenderFigures[]> {
  const pin = (opts.pin ?? false) && pinnable;
  const scenarios = [...SCENARIOS, ...(opts.extra ?? [])].filter(([name]) => name.includes(opts.only ?? ''));
  if (pin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const receiver = await startReceiver(pin);
  const payloads = bodies(1024);
  const runs = new Map<string, SenderFigures[]>();
  try {
    for (let round = 0; round < opts.rounds; round++) {
      for (const [name, scenario] of scenarios) {
        const s = await scenario(receiver.port, opts.inflight, payloads);
        await measure(name, Math.min(2000, opts.requests), opts.inflight, s.send); // warm-up
        const f = await measure(name, opts.requests, opts.inflight, s.send);
        await s.close();
        runs.set(name, [...(runs.get(name) ?? []), f]);
      }
    }
  } finally {
    receiver.child.kill();
  }
  return scenarios.map(([name]) => {
    const sorted = (runs.get(name) ?? []).sort((a, b) => a.cpuUsPerRequest - b.cpuUsPerRequest);
    return sorted[Math.floor(sorted.length / 2)] as SenderFigures;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const requests = Number(process.argv[2] ?? 20_000);
  const inflight = Number(process.argv[3] ?? 16);
  const rounds = Number(process.argv[4] ?? 3);
  console.log(
    `Webhook request benchmark (${availableParallelism()} cores${pinnable ? ', sender on core 1, receiver on core 0' : ''}, ` +
      `${requests} requests of ~1 KB, ${inflight} in flight, median of ${rounds} rounds)`,
  );
  const only = process.argv[5];
  const figures = await runSenderBench({ requests, inflight, rounds, pin: true, ...(only ? { only } : {}) });
  const floor = figures[0]?.cpuUsPerRequest ?? Number.NaN;
  for (const f of figures) {
    console.log(
      `${f.scenario.padEnd(30)} ${f.cpuUsPerRequest.toFixed(1).padStart(6)} µs CPU/request  ` +
        `${(f.cpuUsPerRequest / floor).toFixed(2)}× the floor  ${f.requestsPerSec.toFixed(0).padStart(6)} req/s`,
    );
  }
}
