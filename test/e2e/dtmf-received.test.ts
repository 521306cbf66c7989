import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { verifyWebhook } from '../../src/events/index.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForListedCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { DtmfRtpCaller } from '../support/dtmf-rtp-caller.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const NUMBER = '+15550007200';

async function until(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('dtmf_received: every digit a call receives is an event', () => {
  let cb: TestCallbin;
  let receiver: WebhookReceiver;
  let caller: DtmfRtpCaller;
  let ws: WebSocket | undefined;
  let sipp: SippProcess | undefined;
  before(async () => {
    cb = await startTestCallbin();
    receiver = await WebhookReceiver.start();
    caller = await DtmfRtpCaller.open(101);
  });
  after(async () => {
    ws?.terminate();
    await sipp?.stop();
    await caller.close();
    await cb.close();
    await receiver.close();
  });

  it('5 by SIP INFO, then 1, 2, # by RFC 4733 arrive as signed webhooks, in order, one per digit, and on the call topic', async (t) => {
    const me = expectStatus(await cb.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook') }), 200);
    const secret = me.webhook_secret as string;
    const key = cb.handle.admin?.accessKey ?? '';
    ws = new WebSocket(`${cb.handle.apiUrl.replace('http', 'ws')}/v1.0/ws?accesskey=${encodeURIComponent(key)}`);
    const streamed: { type: string; event_id: string; seq: number; data: any }[] = [];
    let subscribed = false;
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.type === 'subscribed') subscribed = true;
      else if (msg.type === 'dtmf_received' || msg.type === 'call_hangup') streamed.push(msg);
    });
    await new Promise<void>((resolve, reject) => {
      ws!.once('open', () => resolve());
      ws!.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'subscribe', topics: [`customer_id:${me.id}:call`] }));
    await until('the subscription', () => subscribed);

    await createProvider(cb, 5999);
    await createNumberWithFlow(cb, NUMBER, [{ type: 'answer' }, { type: 'sleep', option: { duration: 60_000 } }]);
    sipp = await startSippCaller(cb, 'dtmf-caller-info-wait-bye.xml', NUMBER, {
      keys: { rtp_port: String(caller.port), te_pt: '101' },
    });
    const call = await waitForListedCall(cb, (c) => c.direction === 'incoming' && c.status === 'progressing');
    await until("callbin's RTP", () => caller.connected);
    const dtmfHooks = () => receiver.received.filter((r) => r.json?.type === 'dtmf_received');
    // sipp sends its INFO 2.5 s after the ACK; the keys are pressed once its event is in, so the order is known.
    await until('the INFO digit', () => dtmfHooks().length === 1);
    for (const digit of ['1', '2', '#']) await caller.press(digit);
    await until('four digits', () => dtmfHooks().length === 4);

    expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    assert.equal((await sipp.exited).code, 0, 'sipp got its INFO answered and our BYE');
    // The call's events are delivered in seq order: once its hangup is in, every digit before it is too.
    await until('call_hangup', () => receiver.received.some((r) => r.json?.type === 'call_hangup'));
    await until('the streamed hangup', () => streamed.some((e) => e.type === 'call_hangup'));

    const hooks = dtmfHooks();
    t.diagnostic(
      `webhooks: ${hooks.map((h) => `${h.json.data.digit}@seq${h.json.seq}/${h.json.data.duration}ms`).join(', ')}`,
    );
    assert.deepEqual(
      hooks.map((h) => h.json.data.digit),
      ['5', '1', '2', '#'],
      'one webhook per digit, in order (the end packet, sent three times, counts once)',
    );
    for (const hook of hooks) {
      const check = verifyWebhook({ secret, body: hook.body, headers: hook.headers as Record<string, string> });
      assert.ok(check.ok, `signature: ${JSON.stringify(check)}`);
      const { id, tm_create, ...data } = hook.json.data;
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(tm_create)));
      assert.deepEqual(Object.keys(data).sort(), ['call_id', 'customer_id', 'digit', 'duration']);
      assert.equal(data.call_id, call.id);
      assert.equal(data.customer_id, me.id);
    }
    assert.deepEqual(
      hooks.map((h) => h.json.data.duration),
      [160, 100, 100, 100],
      'as long as pressed',
    );
    const seqs = hooks.map((h) => h.json.seq as number);
    assert.ok(
      seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number)),
      `seq grows in the call's sequence: ${seqs}`,
    );
    const hangupSeq = receiver.received.find((r) => r.json?.type === 'call_hangup')?.json.seq as number;
    assert.ok(
      seqs.every((s) => s < hangupSeq),
      'the digits come before the hangup',
    );

    assert.deepEqual(
      streamed.filter((e) => e.type === 'dtmf_received').map((e) => e.event_id),
      hooks.map((h) => h.json.event_id),
      'the stream carried the same four events on the call topic',
    );
  });
});
