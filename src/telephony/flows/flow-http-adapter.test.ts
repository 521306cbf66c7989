import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventHub, EventPublisher, SsrfGuard, verifyWebhook } from '../../events/index.ts';
import { FlowEngine } from '../../flows/index.ts';
import type { Activeflow, ActiveflowError } from '../../flows/index.ts';
import { FakeCallControl, FakeConferences } from '../../flows/testing/fake-ports.ts';
import { systemClock } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { ActiveflowStoreAdapter } from '../persistence/activeflow-store-adapter.ts';
import { FlowHttpAdapter } from './flow-http-adapter.ts';
import type { FlowHttpAdapterOptions } from './flow-http-adapter.ts';
import { FlowLookupAdapter } from './flow-lookup-adapter.ts';

const SECRET = 'whsec-test-secret';

interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = { status?: number; body?: string; delayMs?: number; headers?: Record<string, string> };

/** A real local HTTP server playing the customer's server; `log` orders arrivals and answers. */
class CustomerServer {
  readonly seen: Seen[] = [];
  readonly log: string[] = [];
  answers = new Map<string, Answer>();
  readonly #server: Server;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        this.seen.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        this.log.push(`arrive ${path}`);
        const answer = this.answers.get(path) ?? {};
        const send = (): void => {
          this.log.push(`answer ${path}`);
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers });
          res.end(answer.body ?? '{}');
        };
        if (answer.delayMs === undefined) return send();
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          if (!res.destroyed) send();
        }, answer.delayMs);
        this.#timers.add(timer);
      });
    });
  }

  async listen(host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, host, resolve));
  }

  url(path: string): string {
    const { address, port } = this.#server.address() as AddressInfo;
    return `http://${address}:${port}${path}`;
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('telephony: flow HTTP adapter (webhook_send, fetch) with the real engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'callbin-flow-http-'));
  const server = new CustomerServer();
  const closers: (() => Promise<void>)[] = [];
  let store: Store;
  let customerId: string;

  before(async () => {
    await server.listen();
    store = await openStore({ dataDir: dir, clock: systemClock });
    const customer = await store.customers.create({
      name: 'a',
      detail: '',
      email: '',
      webhook_method: 'POST',
      webhook_uri: '',
      webhook_secret: SECRET,
      webhook_event_types: [],
    });
    customerId = customer.id;
  });
  after(async () => {
    for (const close of closers) await close();
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A FlowEngine over the real store, this adapter and fake call/conference ports. */
  function engineWith(options: Partial<FlowHttpAdapterOptions> = {}): FlowEngine {
    const http = new FlowHttpAdapter({
      store,
      clock: systemClock,
      guard: new SsrfGuard({ mode: 'local' }),
      ...options,
    });
    const engine = new FlowEngine({
      store: new ActiveflowStoreAdapter({ store, events: new EventPublisher({ hub: new EventHub() }) }),
      flows: new FlowLookupAdapter(store),
      calls: new FakeCallControl(),
      conferences: new FakeConferences(),
      http,
      clock: systemClock,
    });
    closers.push(async () => {
      await engine.close();
      await engine.whenIdle();
      await http.close();
    });
    return engine;
  }

  async function run(engine: FlowEngine, actions: unknown[]): Promise<Activeflow> {
    const { id } = await engine.startForApi({ customer_id: customerId, actions });
    await eventually(
      async () => ((await store.activeflows.get(id))?.status === 'ended' ? true : undefined),
      `activeflow ${id} to end`,
    );
    await engine.whenIdle();
    const af = await store.activeflows.get(id);
    assert.ok(af);
    return af;
  }

  async function errorsOf(id: string): Promise<ActiveflowError[]> {
    const events = await store.outbox.listForResource('activeflow', id);
    return events.flatMap((e) => {
      const error = (e.data as { error?: ActiveflowError }).error;
      return e.type === 'activeflow_updated' && error ? [error] : [];
    });
  }

  function hook(path: string, extra: Record<string, unknown> = {}): unknown {
    return { type: 'webhook_send', option: { uri: server.url(path), sync: true, ...extra } };
  }

  it('webhook_send with sync arrives signed and answered before the next action sends its request', async () => {
    server.answers.set('/first', { delayMs: 150 });
    server.log.length = 0;
    const data = JSON.stringify({ hello: 'world' });
    const af = await run(engineWith(), [
      hook('/first', { data }),
      hook('/second', { data: 'plain', data_type: 'text/plain', method: 'PUT' }),
    ]);
    assert.deepEqual(server.log, ['arrive /first', 'answer /first', 'arrive /second', 'answer /second']);
    const first = server.seen.find((s) => s.path === '/first');
    const second = server.seen.find((s) => s.path === '/second');
    assert.ok(first && second);
    assert.equal(first.body, data);
    assert.equal(first.method, 'POST');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.deepEqual(verifyWebhook({ secret: SECRET, body: first.body, headers: first.headers }), {
      ok: true,
      scheme: 'v1',
    });
    const { 'x-callbin-signature': _v1, ...onlyVoipbin } = first.headers;
    assert.deepEqual(verifyWebhook({ secret: SECRET, body: first.body, headers: onlyVoipbin }), {
      ok: true,
      scheme: 'sha256',
    });
    assert.equal(second.method, 'PUT');
    assert.equal(second.headers['content-type'], 'text/plain');
    assert.deepEqual(verifyWebhook({ secret: SECRET, body: 'plain', headers: second.headers }), {
      ok: true,
      scheme: 'v1',
    });
    assert.deepEqual(await errorsOf(af.id), []);
  });

  it('webhook_send without sync does not hold the next action back', async () => {
    server.answers.set('/slow-async', { delayMs: 300 });
    server.log.length = 0;
    await run(engineWith(), [hook('/slow-async', { sync: false }), hook('/next')]);
    await eventually(async () => (server.log.includes('answer /slow-async') ? true : undefined), 'the slow answer');
    assert.ok(server.log.indexOf('arrive /next') < server.log.indexOf('answer /slow-async'), server.log.join(', '));
  });

  it('fetch runs the actions the server answers, then returns to the action after it', async () => {
    const answered = [
      { type: 'variable_set', option: { key: 'fetched', value: 'yes-${voipbin.activeflow.id}' } },
      hook('/pushed', { data: '${fetched}' }),
    ];
    server.answers.set('/actions', { body: JSON.stringify(answered) });
    server.log.length = 0;
    const af = await run(engineWith(), [
      { type: 'fetch', option: { event_url: server.url('/actions') } },
      hook('/after'),
    ]);
    assert.deepEqual(
      af.executed_actions.map((a) => a.type),
      ['fetch', 'variable_set', 'webhook_send', 'webhook_send'],
    );
    assert.deepEqual(
      server.log.filter((l) => l.startsWith('arrive')),
      ['arrive /actions', 'arrive /pushed', 'arrive /after'],
    );
    const fetchRequest = server.seen.find((s) => s.path === '/actions');
    assert.equal(fetchRequest?.method, 'POST');
    assert.equal(JSON.parse(fetchRequest?.body ?? '{}').id, af.id);
    assert.deepEqual(
      verifyWebhook({ secret: SECRET, body: fetchRequest?.body ?? '', headers: fetchRequest?.headers ?? {} }),
      { ok: true, scheme: 'v1' },
    );
    assert.equal(server.seen.find((s) => s.path === '/pushed')?.body, `yes-${af.id}`);
    assert.equal(af.variables.fetched, `yes-${af.id}`);
    assert.deepEqual(await errorsOf(af.id), []);
  });

  it('fetch with GET sends no body and names the activeflow in the query', async () => {
    server.answers.set('/get-actions', { body: '[]' });
    const af = await run(engineWith(), [
      { type: 'fetch', option: { event_url: server.url('/get-actions?x=1'), event_method: 'GET' } },
    ]);
    const seen = server.seen.find((s) => s.path.startsWith('/get-actions'));
    assert.equal(seen?.method, 'GET');
    assert.equal(seen?.body, '');
    assert.equal(new URL(seen?.path ?? '', 'http://x').searchParams.get('activeflow_id'), af.id);
    assert.equal(new URL(seen?.path ?? '', 'http://x').searchParams.get('x'), '1');
  });

  for (const [name, answer, code] of [
    ['invalid JSON', { body: 'not json' }, 'FETCH_INVALID_JSON'],
    ['JSON that is not an array', { body: '{"type":"hangup"}' }, 'FETCH_INVALID_RESPONSE'],
    ['a 500', { status: 500, body: '[]' }, 'FETCH_FAILED'],
    [
      'an answer over the size limit',
      { body: JSON.stringify([{ type: 'variable_set', option: { key: 'k', value: 'x'.repeat(2000) } }]) },
      'FETCH_RESPONSE_TOO_LARGE',
    ],
    ['a slow server (past the timeout)', { delayMs: 10_000, body: '[]' }, 'FETCH_TIMEOUT'],
  ] as const) {
    it(`fetch answered with ${name}: an error event, and the flow continues`, async () => {
      const path = `/bad-${code.toLowerCase()}`;
      server.answers.set(path, answer);
      const engine = engineWith({ timeoutMs: 200, maxResponseBytes: 1024 });
      const af = await run(engine, [
        { type: 'fetch', option: { event_url: server.url(path) } },
        hook(`/after-${code.toLowerCase()}`),
      ]);
      assert.deepEqual(
        af.executed_actions.map((a) => a.type),
        ['fetch', 'webhook_send'],
      );
      assert.deepEqual(
        (await errorsOf(af.id)).map((e) => [e.type, e.code]),
        [['fetch', code]],
      );
      assert.ok(server.seen.some((s) => s.path === `/after-${code.toLowerCase()}`));
    });
  }

  it('webhook_send with sync to a slow server: WEBHOOK_TIMEOUT error event, and the flow continues', async () => {
    server.answers.set('/slow-sync', { delayMs: 10_000 });
    const af = await run(engineWith({ timeoutMs: 200 }), [hook('/slow-sync'), hook('/after-slow-sync')]);
    assert.deepEqual(
      (await errorsOf(af.id)).map((e) => [e.type, e.code]),
      [['webhook_send', 'WEBHOOK_TIMEOUT']],
    );
    assert.ok(server.seen.some((s) => s.path === '/after-slow-sync'));
  });

  it('fetch follows a redirect of the customer server (307 keeps the POST and its body)', async () => {
    server.answers.set('/moved-actions', { status: 307, headers: { location: '/actions-here' } });
    server.answers.set('/actions-here', { body: JSON.stringify([hook('/after-redirect')]) });
    const af = await run(engineWith(), [{ type: 'fetch', option: { event_url: server.url('/moved-actions') } }]);
    assert.deepEqual(
      af.executed_actions.map((a) => a.type),
      ['fetch', 'webhook_send'],
    );
    assert.deepEqual(await errorsOf(af.id), []);
    const redirected = server.seen.filter((s) => s.path === '/actions-here');
    assert.deepEqual(
      redirected.map((s) => [s.method, JSON.parse(s.body).id]),
      [['POST', af.id]],
    );
  });

  it('production mode with 127.0.0.1 allowed: the allowed target works, a redirect to 127.0.0.2 is refused at the hop (SSRF_BLOCKED)', async () => {
    const internal = new CustomerServer();
    await internal.listen('127.0.0.2');
    closers.push(() => internal.close());
    server.answers.set('/to-internal', { status: 302, headers: { location: internal.url('/secret') } });
    server.answers.set('/allowed-actions', { body: '[]' });
    const guard = new SsrfGuard({ mode: 'production', allow: ['127.0.0.1'] });
    const af = await run(engineWith({ guard }), [
      { type: 'fetch', option: { event_url: server.url('/allowed-actions') } },
      hook('/to-internal'),
      { type: 'fetch', option: { event_url: server.url('/to-internal') } },
    ]);
    assert.deepEqual(
      (await errorsOf(af.id)).map((e) => [e.type, e.code]),
      [
        ['webhook_send', 'SSRF_BLOCKED'],
        ['fetch', 'SSRF_BLOCKED'],
      ],
    );
    assert.ok(server.seen.some((s) => s.path === '/allowed-actions'));
    assert.deepEqual(internal.seen, []);
  });

  it('production mode refuses a loopback target before connecting (SSRF_BLOCKED)', async () => {
    const before = server.seen.length;
    const af = await run(engineWith({ guard: new SsrfGuard({ mode: 'production' }) }), [
      hook('/internal'),
      { type: 'fetch', option: { event_url: server.url('/internal-fetch') } },
    ]);
    assert.deepEqual(
      (await errorsOf(af.id)).map((e) => [e.type, e.code]),
      [
        ['webhook_send', 'SSRF_BLOCKED'],
        ['fetch', 'SSRF_BLOCKED'],
      ],
    );
    assert.equal(server.seen.length, before);
  });
});
