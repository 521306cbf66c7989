import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newCall } from '../calls/index.ts';
import { newId } from '../shared/index.ts';
import { TimelineRepo, timeOrderedId } from '../store/index.ts';
import type { TimelineEntry } from '../timeline/index.ts';
import { apiCall, expectStatus, startTestCallbin } from '../../test/support/callbin.ts';
import type { TestCallbin } from '../../test/support/callbin.ts';

/** Polls `read` every 50 ms until it returns a value, or throws after 10 s. */
async function eventually<T>(read: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ACTIONS = [
  { type: 'variable_set', option: { key: 'color', value: 'blue' } },
  { type: 'variable_set', option: { key: 'size', value: 'xl' } },
];

/** Runs an API activeflow of {@link ACTIONS} and waits until it ended; returns its id. */
async function endedActiveflow(cb: TestCallbin): Promise<string> {
  const af = expectStatus(await cb.api('POST', '/v1.0/activeflows', { actions: ACTIONS }), 200);
  await eventually(async () => {
    const now = expectStatus(await cb.api('GET', `/v1.0/activeflows/${af.id}`), 200);
    return now.status === 'ended' ? true : undefined;
  }, 'the activeflow to end');
  return af.id as string;
}

describe('api: GET /calls|activeflows|conferences/{id}/timeline', () => {
  let cb: TestCallbin;
  let customerId = '';
  let otherKey = '';
  let activeflowId = '';
  let callId = '';

  before(async () => {
    cb = await startTestCallbin();
    customerId = expectStatus(await cb.api('GET', '/v1.0/customer'), 200).id;
    const other = expectStatus(await cb.api('POST', '/v1.0/customers', { name: 'other' }), 200);
    otherKey = expectStatus(await cb.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: other.id }), 200).token;
    activeflowId = await endedActiveflow(cb);
    // A call of that activeflow, with entries of its own before and after the flow's.
    const call = newCall(
      {
        id: newId(),
        customer_id: customerId,
        type: 'flow',
        direction: 'incoming',
        source: { type: 'tel', target: '+15550001000', target_name: '', name: '', detail: '' },
        destination: { type: 'tel', target: '+15550002000', target_name: '', name: '', detail: '' },
        status: 'ringing',
        activeflow_id: activeflowId,
      },
      Date.now(),
    );
    callId = call.id;
    await cb.store.transaction(async (tx) => cb.store.calls.upsert(tx, call));
    const entry = (ms: number, kind: TimelineEntry['kind'], summary: string, data = {}): TimelineEntry => ({
      id: timeOrderedId(ms),
      customer_id: customerId,
      call_id: callId,
      activeflow_id: '00000000-0000-0000-0000-000000000000',
      conference_id: '00000000-0000-0000-0000-000000000000',
      tm: new Date(ms).toISOString(),
      seq: 0,
      kind,
      summary,
      data,
    });
    await new TimelineRepo(cb.store).insert([
      entry(Date.parse('2020-01-01T00:00:00.000Z'), 'sip', 'INVITE ←', {
        method: 'INVITE',
        text: 'INVITE sip:x SIP/2.0',
      }),
      entry(Date.parse('2020-01-01T00:00:00.001Z'), 'status', 'created → ringing', { from: '', to: 'ringing' }),
      entry(Date.parse('2999-01-01T00:00:00.000Z'), 'status', 'ringing → hangup', { from: 'ringing', to: 'hangup' }),
    ]);
  });

  after(async () => {
    await cb?.close();
  });

  const read = async (path: string) => expectStatus(await cb.api('GET', `/v1.0${path}`), 200);

  it("an activeflow's timeline lists each step's start and end with the variables it set", async () => {
    const page = await read(`/activeflows/${activeflowId}/timeline`);
    const flow = (page.result as TimelineEntry[]).filter((e) => e.kind === 'flow');
    assert.deepEqual(
      flow.map((e) => [e.data.event, e.data.action_type, e.data.result ?? '', e.data.variables ?? {}]),
      [
        ['start', 'variable_set', '', {}],
        ['end', 'variable_set', 'next', { color: 'blue' }],
        ['start', 'variable_set', '', {}],
        ['end', 'variable_set', 'next', { size: 'xl' }],
      ],
    );
    assert.ok(flow.every((e) => e.activeflow_id === activeflowId && e.customer_id === customerId));
  });

  it("a call's timeline holds its own entries and its activeflow's, oldest first", async () => {
    const page = await read(`/calls/${callId}/timeline`);
    const entries = page.result as TimelineEntry[];
    assert.deepEqual(
      entries.map((e) => e.summary),
      [
        'INVITE ←',
        'created → ringing',
        'variable_set started',
        'variable_set ended: next',
        'variable_set started',
        'variable_set ended: next',
        'ringing → hangup',
      ],
    );
    assert.equal(page.next_page_token, '');
    const sip = entries[0];
    assert.equal(sip?.data.text, undefined, 'SIP texts only with sip_text=true');
    const withText = await read(`/calls/${callId}/timeline?sip_text=true&kinds=sip`);
    assert.equal(withText.result[0].data.text, 'INVITE sip:x SIP/2.0');
  });

  it('pages with page_size and page_token, every entry once', async () => {
    const all = (await read(`/calls/${callId}/timeline`)).result as TimelineEntry[];
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await read(`/calls/${callId}/timeline?page_size=3${token ? `&page_token=${token}` : ''}`);
      assert.ok(page.result.length <= 3);
      seen.push(...page.result.map((e: TimelineEntry) => e.id));
      token = page.next_page_token;
      pages++;
    } while (token !== '' && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      all.map((e) => e.id),
    );
    const bad = await cb.api('GET', `/v1.0/calls/${callId}/timeline?page_token=nonsense`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details[0].field, 'page_token');
  });

  it('filters by kinds; an unknown kind is 400 on `kinds`', async () => {
    const status = await read(`/calls/${callId}/timeline?kinds=status`);
    assert.deepEqual(
      status.result.map((e: TimelineEntry) => e.summary),
      ['created → ringing', 'ringing → hangup'],
    );
    const two = await read(`/calls/${callId}/timeline?kinds=sip,status`);
    assert.deepEqual(
      two.result.map((e: TimelineEntry) => e.kind),
      ['sip', 'status', 'status'],
    );
    const bad = await cb.api('GET', `/v1.0/calls/${callId}/timeline?kinds=sip,bogus`);
    assert.equal(bad.status, 400, JSON.stringify(bad.body));
    assert.deepEqual([bad.body.error.details[0].field, bad.body.error.details[0].reason], ['kinds', 'INVALID_VALUE']);
  });

  it('a failed request is an http entry with status 0 and its error code, and an error entry of its step', async () => {
    // Nothing listens on port 9 of the loopback: the connection is refused.
    const af = expectStatus(
      await cb.api('POST', '/v1.0/activeflows', {
        actions: [{ type: 'webhook_send', option: { uri: 'http://127.0.0.1:9/down?k=v', sync: true } }],
      }),
      200,
    );
    const entries = await eventually(async () => {
      const page = await read(`/activeflows/${af.id}/timeline?kinds=flow,http,error`);
      return page.result.length >= 4 ? (page.result as TimelineEntry[]) : undefined;
    }, 'the failed step');
    assert.deepEqual(
      entries.map((e) => e.kind),
      ['flow', 'http', 'flow', 'error'],
    );
    const [, http, end, error] = entries;
    assert.equal(http?.data.status, 0);
    assert.equal(http?.data.url, 'http://127.0.0.1:9/down');
    assert.equal(http?.data.error, 'HTTP_REQUEST_FAILED');
    assert.equal(end?.data.result, 'HTTP_REQUEST_FAILED');
    assert.equal(error?.data.code, 'HTTP_REQUEST_FAILED');
    assert.equal(error?.data.action_id, end?.data.action_id);
  });

  it("another customer's call, activeflow or conference is 404 with the code of the resource's GET", async () => {
    const url = cb.handle.apiUrl;
    for (const [resource, id] of [
      ['calls', callId],
      ['activeflows', activeflowId],
      ['conferences', newId()],
    ] as const) {
      const own = await apiCall(url, otherKey, 'GET', `/v1.0/${resource}/${id}`);
      const timeline = await apiCall(url, otherKey, 'GET', `/v1.0/${resource}/${id}/timeline`);
      assert.equal(timeline.status, 404, `${resource}: ${JSON.stringify(timeline.body)}`);
      assert.equal(own.status, 404);
      assert.equal(timeline.body.error.reason, own.body.error.reason);
    }
  });
});

describe('api: the timeline switched off (CALLBIN_TIMELINE=0)', () => {
  let cb: TestCallbin;
  before(async () => {
    cb = await startTestCallbin({ timeline: false });
  });
  after(async () => {
    await cb?.close();
  });

  it('records nothing: an ended activeflow has an empty timeline', async () => {
    const id = await endedActiveflow(cb);
    const page = expectStatus(await cb.api('GET', `/v1.0/activeflows/${id}/timeline`), 200);
    assert.deepEqual(page, { result: [], next_page_token: '' });
  });
});
