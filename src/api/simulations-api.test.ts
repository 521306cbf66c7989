import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../shared/index.ts';
import { openTestStore, startTestServer } from './testing/test-server.ts';
import type { TestServer } from './testing/test-server.ts';

const TALK = '00000000-0000-4000-8000-000000000001';
const FETCH = '00000000-0000-4000-8000-000000000002';
const PUSHED = '00000000-0000-4000-8000-000000000003';

describe('api: POST /simulations', () => {
  let api: TestServer;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let flowOfA = '';
  // A real customer server: the script sends its `fetch` there with `real: true`.
  const seen: { method: string; url: string; simulation: string }[] = [];
  const server = createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      simulation: String(req.headers['x-callbin-simulation']),
    });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify([{ id: PUSHED, type: 'talk', option: { text: 'from the real server' } }]));
    });
  });
  let realUrl = '';

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    realUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/actions`;
    api = await startTestServer(await openTestStore(new FakeClock(), 'callbin-sim-api-'));
    a = await api.newCustomer('a');
    b = await api.newCustomer('b');
    const flow = await api.request('POST', '/v1.0/flows', {
      key: a.key,
      body: { name: 'ivr', actions: [{ id: TALK, type: 'talk', option: { text: 'hello' } }] },
    });
    assert.equal(flow.status, 200);
    flowOfA = flow.body.id;
  });
  after(async () => {
    await api.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("runs the customer's stored flow and answers the timeline", async () => {
    const res = await api.request('POST', '/v1.0/simulations', { key: a.key, body: { flow_id: flowOfA } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const ended = res.body.steps.filter((s: { event: string }) => s.event === 'end');
    assert.deepEqual(
      ended.map((s: { action_id: string; result: string }) => `${s.action_id} ${s.result}`),
      [`${TALK} played`],
    );
    assert.equal(res.body.variables['voipbin.flow.id'], flowOfA);
    assert.deepEqual([res.body.hangup.by, res.body.hangup.reason], ['local', 'normal']);
  });

  it("another customer's flow is 404 FLOW_NOT_FOUND", async () => {
    const res = await api.request('POST', '/v1.0/simulations', { key: b.key, body: { flow_id: flowOfA } });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.reason, 'FLOW_NOT_FOUND');
  });

  it('a bad script or body is a 400 with the field', async () => {
    const script = await api.request('POST', '/v1.0/simulations', {
      key: a.key,
      body: { flow_id: flowOfA, script: { hangup_at_ms: 'soon' } },
    });
    assert.equal(script.status, 400);
    assert.ok(
      script.body.error.details.some((d: { field: string }) => d.field.includes('hangup_at_ms')),
      JSON.stringify(script.body),
    );
    const both = await api.request('POST', '/v1.0/simulations', { key: a.key, body: {} });
    assert.equal(both.status, 400);
    assert.equal(both.body.error.details[0].field, 'flow_id');
  });

  it('a `real: true` entry sends the request to the real server; unmet expectations are listed', async () => {
    const res = await api.request('POST', '/v1.0/simulations', {
      key: a.key,
      body: {
        actions: [{ id: FETCH, type: 'fetch', option: { event_url: realUrl, event_method: 'GET' } }],
        script: {
          http: { [realUrl]: { real: true } },
          expect: { branch_taken: [FETCH, PUSHED], hangup_reason: 'busy' },
        },
      },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.simulation, '1');
    assert.equal(res.body.requests[0].answered_by, 'real');
    assert.deepEqual(
      res.body.expectations.map((e: { met: boolean }) => e.met),
      [true, false],
    );
  });
});
