import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  apiCall,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { sipAt, waitForGroupcall } from '../support/groupcalls.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const SOURCE = { type: 'tel', target: '+15550001000' };
const NIL = '00000000-0000-0000-0000-000000000000';
const GROUPCALL_EVENTS = ['groupcall_created', 'groupcall_progressing', 'groupcall_hangup'];

/** The calls of a groupcall as GET shows them, keyed by the destination they dialled. */
async function callsByTarget(cb: TestCallbin, gc: any): Promise<Map<string, any>> {
  const byTarget = new Map<string, any>();
  for (const id of gc.call_ids as string[]) {
    const call = expectStatus(await cb.api('GET', `/v1.0/calls/${id}`), 200);
    byTarget.set(call.destination.target, call);
  }
  return byTarget;
}

describe('groupcalls e2e: one groupcall, several real outgoing calls to sipp peers', () => {
  let cb: TestCallbin;
  let receiver: WebhookReceiver;
  let sipps: SippProcess[] = [];
  let customerId = '';

  before(async () => {
    cb = await startTestCallbin();
    receiver = await WebhookReceiver.start();
    const me = expectStatus(
      await cb.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      200,
    );
    customerId = me.id as string;
  });
  afterEach(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    sipps = [];
  });
  after(async () => {
    await cb.close();
    await receiver.close();
  });

  async function peer(scenario: string): Promise<{ port: number; sipp: SippProcess }> {
    const p = await startSippProvider(scenario);
    sipps.push(p.sipp);
    return p;
  }

  /** A `GET /ws` session subscribed to the customer's groupcall topic; keeps the groupcall events it hears. */
  async function groupcallStream(): Promise<{ ws: WebSocket; heard: any[] }> {
    const key = cb.handle.admin?.accessKey ?? '';
    const ws = new WebSocket(`${cb.handle.apiUrl.replace('http', 'ws')}/v1.0/ws?accesskey=${encodeURIComponent(key)}`);
    const heard: any[] = [];
    let subscribed: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (subscribed = resolve));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.type === 'subscribed') subscribed();
      else if (String(msg.type).startsWith('groupcall_')) heard.push(msg);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'subscribe', topics: [`customer_id:${customerId}:groupcall`] }));
    await ready;
    return { ws, heard };
  }

  it('ring_all: all three get an INVITE, the second answers, the others get CANCEL; events arrive in order', async () => {
    const stream = await groupcallStream();
    const first = await peer('e2e-uas-ringing-then-cancel.xml');
    const second = await peer('e2e-uas-answer-wait-bye.xml');
    const third = await peer('e2e-uas-ringing-then-cancel.xml');
    const created = expectStatus(
      await cb.api('POST', '/v1.0/groupcalls', {
        source: SOURCE,
        destinations: [sipAt('first', first.port), sipAt('second', second.port), sipAt('third', third.port)],
        actions: [{ type: 'hangup' }],
        ring_method: 'ringall',
        answer_method: 'hangup_others',
      }),
      200,
    );
    assert.equal(created.status, 'progressing');
    assert.equal(created.ring_method, 'ring_all');
    assert.equal(created.call_ids.length, 3);
    assert.equal(created.call_count, 3);
    assert.equal(created.answer_call_id, NIL);

    const ended = await waitForGroupcall(cb, created.id, (gc) => gc.status === 'hangup');
    for (const [name, p] of [
      ['first', first],
      ['second', second],
      ['third', third],
    ] as const)
      assert.equal((await p.sipp.exited).code, 0, `${name} sipp ran its scenario to the end`);

    const calls = await callsByTarget(cb, ended);
    const winner = calls.get(`sip:second@127.0.0.1:${second.port}`);
    assert.ok(winner, 'a call dialled the second peer');
    assert.equal(ended.answer_call_id, winner.id, 'the second answered');
    assert.equal(ended.call_count, 0);
    assert.equal(typeof winner.tm_progressing, 'string');
    assert.deepEqual([winner.hangup_by, winner.hangup_reason], ['local', 'normal'], 'its flow hung it up');
    for (const [target, port] of [
      ['first', first.port],
      ['third', third.port],
    ] as const) {
      const call = calls.get(`sip:${target}@127.0.0.1:${port}`);
      assert.equal(call?.groupcall_id, created.id);
      assert.deepEqual([call?.hangup_by, call?.hangup_reason], ['local', 'cancel'], `${target} was CANCELled`);
      assert.equal(call?.tm_progressing, undefined, `${target} never answered`);
    }
    for (const call of calls.values()) {
      assert.equal(call.owner_type, '');
      assert.equal(call.owner_id, NIL);
    }

    await receiver.waitFor(
      (r) => r.received.some((h) => h.json?.type === 'groupcall_hangup' && h.json.data?.id === created.id),
      15_000,
      'groupcall_hangup',
    );
    const hooks = receiver.received.filter((h) => h.json?.data?.id === created.id);
    assert.deepEqual(
      hooks.map((h) => h.json.type),
      GROUPCALL_EVENTS,
    );
    assert.deepEqual(
      hooks.map((h) => h.json.seq),
      [1, 2, 3],
    );
    assert.equal(hooks[1]?.json.data.answer_call_id, winner.id);
    assert.deepEqual(hooks.at(-1)?.json.data, ended, 'the last event carries the groupcall as GET shows it');
    const streamed = stream.heard.filter((m) => m.data?.id === created.id);
    const deadline = Date.now() + 10_000;
    while (!streamed.some((m) => m.type === 'groupcall_hangup') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      streamed.splice(0, streamed.length, ...stream.heard.filter((m) => m.data?.id === created.id));
    }
    stream.ws.close();
    assert.deepEqual(
      streamed.map((m) => m.type),
      GROUPCALL_EVENTS,
      'the same events on the groupcall topic of GET /ws',
    );
    const listed = expectStatus(await cb.api('GET', '/v1.0/groupcalls?page_size=10'), 200);
    assert.ok(listed.result.some((g: any) => g.id === created.id));
  });

  it('linear: the first answers 486, the second answers, the third is never dialled; hangup ends the call', async () => {
    const busy = await peer('calls-uas-486.xml');
    const answering = await peer('e2e-uas-answer-wait-bye.xml');
    const never = await SilentPeer.open();
    try {
      const created = expectStatus(
        await cb.api('POST', '/v1.0/groupcalls', {
          source: SOURCE,
          destinations: [sipAt('busy', busy.port), sipAt('answering', answering.port), sipAt('never', never.port)],
          actions: [{ type: 'sleep', option: { duration: 60_000 } }],
          ring_method: 'linear',
          answer_method: 'hangup_others',
        }),
        200,
      );
      assert.equal(created.call_ids.length, 1, 'linear dials one destination at a time');
      assert.equal(created.dial_index, 0);
      const answered = await waitForGroupcall(cb, created.id, (gc) => gc.answer_call_id !== NIL);
      assert.equal(answered.dial_index, 1);
      assert.equal(answered.call_ids.length, 2);
      assert.equal(answered.answer_call_id, answered.call_ids[1]);
      assert.equal((await busy.sipp.exited).code, 0, 'the first peer refused with 486 and got its ACK');
      const refused = await waitForCall(cb, answered.call_ids[0], (c) => c.status === 'hangup');
      assert.deepEqual([refused.hangup_by, refused.hangup_reason], ['remote', 'busy']);

      const hangingUp = expectStatus(await cb.api('POST', `/v1.0/groupcalls/${created.id}/hangup`), 200);
      assert.ok(['hangingup', 'hangup'].includes(hangingUp.status), hangingUp.status);
      const ended = await waitForGroupcall(cb, created.id, (gc) => gc.status === 'hangup');
      assert.equal((await answering.sipp.exited).code, 0, 'the second peer got our BYE');
      const call = await waitForCall(cb, answered.answer_call_id, (c) => c.status === 'hangup');
      assert.deepEqual([call.hangup_by, call.hangup_reason], ['local', 'normal']);
      assert.equal(ended.call_ids.length, 2);
      assert.equal(never.datagrams.length, 0, 'the third destination never got a SIP message');
    } finally {
      await never.close();
    }
  });

  it('hangup of a ringing groupcall CANCELs its calls; another customer gets 404; bad bodies are 400', async () => {
    const a = await peer('e2e-uas-ringing-then-cancel.xml');
    const b = await peer('e2e-uas-ringing-then-cancel.xml');
    const created = expectStatus(
      await cb.api('POST', '/v1.0/groupcalls', {
        source: SOURCE,
        destinations: [sipAt('a', a.port), sipAt('b', b.port)],
        actions: [{ type: 'hangup' }],
        ring_method: 'ring_all',
        answer_method: 'hangup_others',
      }),
      200,
    );
    for (const id of created.call_ids) await waitForCall(cb, id, (c) => c.status === 'ringing');

    const customer = expectStatus(await cb.api('POST', '/v1.0/customers', { name: 'other' }), 200);
    const key = expectStatus(await cb.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }), 200)
      .token as string;
    const asOther = (method: string, path: string) => apiCall(cb.handle.apiUrl, key, method, path);
    for (const [method, path] of [
      ['GET', `/v1.0/groupcalls/${created.id}`],
      ['POST', `/v1.0/groupcalls/${created.id}/hangup`],
      ['DELETE', `/v1.0/groupcalls/${created.id}`],
    ] as const) {
      assert.equal(
        expectStatus(await asOther(method, path), 404).error.reason,
        'GROUPCALL_NOT_FOUND',
        `${method} ${path}`,
      );
    }
    assert.deepEqual(expectStatus(await asOther('GET', '/v1.0/groupcalls'), 200).result, []);
    assert.equal(expectStatus(await cb.api('GET', `/v1.0/groupcalls/${created.id}`), 200).status, 'progressing');

    expectStatus(await cb.api('POST', `/v1.0/groupcalls/${created.id}/hangup`), 200);
    const ended = await waitForGroupcall(cb, created.id, (gc) => gc.status === 'hangup');
    assert.equal(ended.answer_call_id, NIL);
    for (const p of [a, b]) assert.equal((await p.sipp.exited).code, 0, 'the peer got CANCEL');
    for (const id of created.call_ids) {
      const call = expectStatus(await cb.api('GET', `/v1.0/calls/${id}`), 200);
      assert.deepEqual([call.status, call.hangup_by, call.hangup_reason], ['hangup', 'local', 'cancel']);
    }
    const again = expectStatus(await cb.api('POST', `/v1.0/groupcalls/${created.id}/hangup`), 409);
    assert.equal(again.error.reason, 'GROUPCALL_ALREADY_HANGUP');
    const deleted = expectStatus(await cb.api('DELETE', `/v1.0/groupcalls/${created.id}`), 200);
    assert.equal(typeof deleted.tm_delete, 'string');
    const doc = expectStatus(await cb.api('GET', '/openapi.json'), 200);
    const schema = doc.paths['/v1.0/groupcalls/{id}'].delete.responses['200'].content['application/json'].schema;
    assert.deepEqual(
      Object.keys(deleted).filter((k) => !(k in schema.properties)),
      [],
      'the response schema lists every field of a groupcall',
    );
    expectStatus(await cb.api('GET', `/v1.0/groupcalls/${created.id}`), 404);

    const tooMany = Array.from({ length: 33 }, (_, i) => sipAt(`u${i}`, 5060));
    const cases: [unknown[], string, string][] = [
      [tooMany, 'TOO_MANY_ITEMS', 'destinations'],
      [[sipAt('ok', 5060), { type: 'tel', target: '12345' }], 'INVALID_E164', 'destinations[1].target'],
    ];
    for (const [destinations, reason, field] of cases) {
      const body = { source: SOURCE, destinations, actions: [], ring_method: 'linear', answer_method: '' };
      const refused = expectStatus(await cb.api('POST', '/v1.0/groupcalls', body), 400);
      assert.equal(refused.error.details[0].reason, reason);
      assert.equal(refused.error.details[0].field, field);
    }
  });
});
