// Webhook delivery: events/s delivered to a local receiver and the added latency publish → receiver
// (p50/p99), for callbin (outbox in embedded SQLite + DeliveryWorker) against a plain undici POST
// loop with the same concurrency and body size, measured in the same run; CPU per event is this
// process's (publisher, store, worker, sender and the receiver alike) over the burst. Like calls, every
// resource publishes its own events one after the other, all resources at once.
// Run: node --import tsx bench/webhooks.ts [events] [resources]
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { DeliveryWorker, EventHub, EventPublisher } from '../src/events/index.ts';
import { newId, silentLogger, systemClock } from '../src/shared/index.ts';
import { openStore } from '../src/store/index.ts';

/** Throughput and latency of one scenario. */
export interface WebhookFigures {
  scenario: string;
  events: number;
  eventsPerSec: number;
  /** CPU of this process (publisher, store, worker, sender and receiver alike) per event of the burst, µs. */
  cpuUsPerEvent: number;
  /** Publish → receiver under the burst (includes queueing behind earlier events). */
  p50Ms: number;
  p99Ms: number;
  /** Publish → receiver for one event at a time on an idle system. */
  singleP50Ms: number;
  singleP99Ms: number;
}

/** Both scenarios of one run. */
export interface WebhookBenchResult {
  baseline: WebhookFigures;
  callbin: WebhookFigures;
}

interface Receiver {
  url: string;
  arrivals: Map<string, number>;
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  let wake: (() => void) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event_id: string }).event_id;
      if (!arrivals.has(id)) arrivals.set(id, performance.now());
      res.writeHead(200).end();
      wake?.();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrivals,
    waitFor: (count) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (arrivals.size >= count) {
            wake = undefined;
            resolve();
          }
        };
        wake = check;
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function quantiles(sentAt: Map<string, number>, arrivals: Map<string, number>): (q: number) => number {
  const latencies = [...sentAt].map(([id, t]) => (arrivals.get(id) ?? Number.NaN) - t).sort((a, b) => a - b);
  return (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
}

function figures(
  scenario: string,
  burst: Map<string, number>,
  single: Map<string, number>,
  arrivals: Map<string, number>,
  cpu: NodeJS.CpuUsage,
): WebhookFigures {
  const b = quantiles(burst, arrivals);
  const s = quantiles(single, arrivals);
  const first = Math.min(...burst.values());
  const last = Math.max(...[...burst.keys()].map((id) => arrivals.get(id) ?? Number.NaN));
  return {
    scenario,
    events: burst.size,
    eventsPerSec: (burst.size / (last - first)) * 1000,
    cpuUsPerEvent: (cpu.user + cpu.system) / burst.size,
    p50Ms: b(0.5),
    p99Ms: b(0.99),
    singleP50Ms: s(0.5),
    singleP99Ms: s(0.99),
  };
}

/** Send `count` events one at a time, each after the previous arrived; returns their send times. */
async function oneAtATime(
  count: number,
  receiver: Receiver,
  send: () => Promise<string>,
): Promise<Map<string, number>> {
  const sentAt = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    sentAt.set(await send(), started);
    await new Promise<void>((resolve) => {
      const poll = () => ([...sentAt.keys()].every((id) => receiver.arrivals.has(id)) ? resolve() : setImmediate(poll));
      poll();
    });
  }
  return sentAt;
}

function body(eventId: string, seq: number): string {
  return JSON.stringify({
    type: 'call_updated',
    event_id: eventId,
    seq,
    tm_event: new Date().toISOString(),
    data: { id: newId(), status: 'progressing' },
  });
}

async function baseline(events: number, concurrency: number, singles: number): Promise<WebhookFigures> {
  const receiver = await startReceiver();
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const sentAt = new Map<string, number>();
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const lane = async () => {
    while (next < events) {
      const id = newId();
      const payload = body(id, next++);
      sentAt.set(id, performance.now());
      const res = await request(receiver.url, {
        dispatcher: agent,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
      });
      await res.body.dump();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await receiver.waitFor(events);
  const cpu = process.cpuUsage(cpuBefore);
  const single = await oneAtATime(singles, receiver, async () => {
    const id = newId();
    const res = await request(receiver.url, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(id, 0),
    });
    await res.body.dump();
    return id;
  });
  await agent.close();
  await receiver.close();
  return figures('undici POST loop', sentAt, single, receiver.arrivals, cpu);
}

async function callbin(
  events: number,
  resources: number,
  concurrency: number,
  singles: number,
): Promise<WebhookFigures> {
  const receiver = await startReceiver();
  const dir = await mkdtemp(join(tmpdir(), 'callbin-bench-webhooks-'));
  const store = await openStore({ dataDir: dir, clock: systemClock });
  const customer = await store.customers.create({
    name: 'bench',
    detail: '',
    email: '',
    webhook_method: 'POST',
    webhook_uri: receiver.url,
    webhook_secret: 'whsec_bench',
    webhook_event_types: [],
  });
  const hub = new EventHub();
  const publisher = new EventPublisher({ hub });
  const worker = new DeliveryWorker({
    store,
    clock: systemClock,
    logger: silentLogger,
    mode: 'local',
    hub,
    concurrency,
  });
  await worker.start();
  const calls = Array.from({ length: resources }, () => newId());
  const sentAt = new Map<string, number>();
  let single = new Map<string, number>();
  let cpu: NodeJS.CpuUsage = { user: Number.NaN, system: Number.NaN };
  const cpuBefore = process.cpuUsage();
  try {
    // One publisher per resource (each call writes its own changes in order), all at once.
    await Promise.all(
      calls.map(async (id, r) => {
        for (let i = r; i < events; i += calls.length) {
          const started = performance.now();
          const e = await publisher.publishNow(store, {
            customer_id: customer.id,
            resource_type: 'call',
            resource_id: id,
            type: 'call_updated',
            data: { id, status: 'progressing' },
          });
          sentAt.set(e.event_id, started);
        }
      }),
    );
    await receiver.waitFor(events);
    cpu = process.cpuUsage(cpuBefore);
    single = await oneAtATime(singles, receiver, async () => {
      const id = newId();
      const e = await publisher.publishNow(store, {
        customer_id: customer.id,
        resource_type: 'call',
        resource_id: id,
        type: 'call_created',
        data: { id },
      });
      return e.event_id;
    });
  } finally {
    await worker.stop();
    await store.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
  return figures('callbin outbox + worker', sentAt, single, receiver.arrivals, cpu);
}

/** Run both scenarios with `events` events (callbin spreads them over `resources` calls). */
export async function runWebhookBench(opts: {
  events: number;
  resources?: number;
  concurrency?: number;
  singles?: number;
}): Promise<WebhookBenchResult> {
  const concurrency = opts.concurrency ?? 16;
  const singles = opts.singles ?? 200;
  return {
    baseline: await baseline(opts.events, concurrency, singles),
    callbin: await callbin(opts.events, opts.resources ?? 50, concurrency, singles),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const events = Number(process.argv[2] ?? 5000);
  const resources = Number(process.argv[3] ?? 50);
  console.log(
    `Webhook benchmark (${availableParallelism()} cores, ${events} events, ${resources} calls, concurrency 16)`,
  );
  const r = await runWebhookBench({ events, resources });
  for (const f of [r.baseline, r.callbin]) {
    console.log(
      `${f.scenario.padEnd(26)} burst ${f.eventsPerSec.toFixed(0).padStart(6)} events/s  ${f.cpuUsPerEvent.toFixed(0).padStart(4)} µs CPU/event  p50 ${f.p50Ms.toFixed(1).padStart(7)} ms  p99 ${f.p99Ms.toFixed(1).padStart(7)} ms` +
        `   one at a time: p50 ${f.singleP50Ms.toFixed(2)} ms  p99 ${f.singleP99Ms.toFixed(2)} ms`,
    );
  }
}
