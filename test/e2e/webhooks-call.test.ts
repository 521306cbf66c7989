import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { verifyWebhook } from '../../src/events/index.ts';
import { RtpProbe } from '../support/calls-harness.ts';
import {
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForListedCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

describe('webhooks of a real call', () => {
  let cb: TestCallbin;
  let receiver: WebhookReceiver;
  before(async () => {
    cb = await startTestCallbin();
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await cb.close();
    await receiver.close();
  });

  it("an incoming call's events arrive signed, in seq order without gaps, and the last equals GET /calls/{id}", async () => {
    const me = expectStatus(
      await cb.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      200,
    );
    const secret = me.webhook_secret as string;
    await createProvider(cb, 5999);
    await createNumberWithFlow(cb, '+15550007000', [
      { type: 'answer' },
      { type: 'talk', option: { text: 'hello', language: 'en-US' } },
      { type: 'hangup' },
    ]);
    const probe = await RtpProbe.open();
    try {
      const sipp = await startSippCaller(cb, 'calls-uac-incoming.xml', '+15550007000', {
        keys: { rtp_port: String(probe.port) },
      });
      const ended = await waitForListedCall(cb, (c) => c.direction === 'incoming' && c.status === 'hangup', 30_000);
      assert.equal((await sipp.exited).code, 0);
      const deadline = Date.now() + 15_000;
      const forCall = () => receiver.received.filter((r) => r.json?.data?.id === ended.id);
      while (!forCall().some((r) => r.json.type === 'call_hangup') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const hooks = forCall();
      assert.ok(
        hooks.some((r) => r.json.type === 'call_hangup'),
        `got ${hooks.map((r) => r.json.type).join(', ')}`,
      );

      for (const hook of hooks) {
        const check = verifyWebhook({ secret, body: hook.body, headers: hook.headers as Record<string, string> });
        assert.ok(check.ok, `signature of ${hook.json.type}: ${JSON.stringify(check)}`);
        assert.match(String(hook.headers['x-voipbin-signature']), /^sha256=[0-9a-f]{64}$/);
      }
      const seqs = hooks.map((r) => r.json.seq as number);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
        'delivered in seq order from 1 with no gaps',
      );
      const types = hooks.map((r) => r.json.type as string);
      // An incoming call is created already ringing (docs/calls.md), so its first event carries that status.
      assert.equal(hooks[0]?.json.type, 'call_created');
      assert.equal(hooks[0]?.json.data.status, 'ringing');
      for (const t of ['call_progressing', 'call_terminating', 'call_hangup'])
        assert.ok(types.includes(t), `${t} in ${types.join(', ')}`);
      assert.ok(types.filter((t) => t === 'call_updated').length >= 3, 'a call_updated for each change');
      assert.equal(types.at(-1), 'call_hangup');

      const now = expectStatus(await cb.api('GET', `/v1.0/calls/${ended.id}`), 200);
      assert.deepEqual(hooks.at(-1)?.json.data, now, 'the last event carries the call exactly as GET shows it');
      const outbox = await cb.store.outbox.listForResource('call', ended.id);
      assert.deepEqual(
        hooks.map((r) => r.json.event_id),
        outbox.map((e) => e.event_id),
        'every outbox event was delivered once, in order',
      );
    } finally {
      await probe.close();
    }
  });
});
