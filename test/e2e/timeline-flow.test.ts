import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** One entry as `GET /v1.0/calls/{id}/timeline` serves it (docs/timeline.md "Entries"). */
interface Entry {
  id: string;
  kind: string;
  summary: string;
  tm: string;
  seq: number;
  call_id: string;
  activeflow_id: string;
  data: Record<string, any>;
}

/** Every page of a call's timeline, oldest first (small pages, so paging is part of the read). */
async function timeline(cb: TestCallbin, callId: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let token = '';
  for (let pages = 0; pages < 100; pages++) {
    const query = `page_size=10${token === '' ? '' : `&page_token=${encodeURIComponent(token)}`}`;
    const page = expectStatus(await cb.api('GET', `/v1.0/calls/${callId}/timeline?${query}`), 200);
    entries.push(...(page.result as Entry[]));
    token = page.next_page_token as string;
    if (token === '') break;
  }
  return entries;
}

/** Polls the timeline until `done` holds: webhook deliveries are recorded as they finish. */
async function timelineUntil(cb: TestCallbin, callId: string, done: (entries: Entry[]) => boolean): Promise<Entry[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const entries = await timeline(cb, callId);
    if (done(entries)) return entries;
    if (Date.now() > deadline)
      throw new Error(`the timeline never completed:\n${entries.map((e) => `${e.kind}: ${e.summary}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('e2e: the timeline of a call whose flow answers, talks, sends a webhook and hangs up', () => {
  let cb: TestCallbin;
  let receiver: WebhookReceiver;
  const sipps: SippProcess[] = [];
  const probes: RtpProbe[] = [];

  before(async () => {
    cb = await startTestCallbin();
    receiver = await WebhookReceiver.start();
    expectStatus(
      await cb.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      200,
    );
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(probes.map((p) => p.close()));
    await cb?.close();
    await receiver?.close();
  });

  it('lists the status changes with the hangup cause, each step, the http request and the webhook deliveries, in order', async (t) => {
    await createProvider(cb, 5999);
    const number = '+15550007300';
    await createNumberWithFlow(cb, number, [
      { type: 'answer' },
      { type: 'talk', option: { text: 'hello', language: 'en-US' } },
      {
        type: 'webhook_send',
        option: { uri: `${receiver.url('/flow-hook')}?secret=s3`, method: 'POST', data: '{"a":1}', sync: true },
      },
      { type: 'hangup' },
    ]);
    const probe = await RtpProbe.open();
    probes.push(probe);
    const sipp = await startSippCaller(cb, 'calls-uac-incoming.xml', number, {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(sipp);
    const call = await waitForListedCall(
      cb,
      (c) => c.direction === 'incoming' && c.destination.target === number && c.status === 'hangup',
      30_000,
    );
    const callEvents = () =>
      receiver.received.filter(
        (r) => r.path === '/hook' && r.json?.type?.startsWith('call_') && r.json?.data?.id === call.id,
      );
    await receiver.waitFor(
      () => callEvents().some((r) => r.json.type === 'call_hangup'),
      30_000,
      'call_hangup delivered',
    );
    const delivered = callEvents();
    const entries = await timelineUntil(
      cb,
      call.id,
      (es) => es.filter((e) => e.kind === 'webhook' && e.call_id === call.id).length >= delivered.length,
    );

    // Oldest first: (tm, seq) never goes back.
    for (let i = 1; i < entries.length; i++) {
      const [a, b] = [entries[i - 1] as Entry, entries[i] as Entry];
      assert.ok(a.tm < b.tm || (a.tm === b.tm && a.seq < b.seq), `${a.summary} / ${b.summary} out of order`);
    }
    assert.equal(new Set(entries.map((e) => e.id)).size, entries.length, 'every entry once across the pages');

    const status = entries.filter((e) => e.kind === 'status');
    const trail = status.map((e) => e.data.to);
    assert.equal(trail[0], 'ringing', trail.join(' → '));
    assert.ok(trail.includes('progressing'), trail.join(' → '));
    assert.equal(trail.at(-1), 'hangup', trail.join(' → '));
    for (let i = 1; i < status.length; i++)
      assert.equal(status[i]?.data.from, status[i - 1]?.data.to, 'from is the last to');
    const hangup = status.at(-1) as Entry;
    assert.equal(hangup.data.hangup_by, call.hangup_by);
    assert.equal(hangup.data.hangup_reason, call.hangup_reason);
    assert.notEqual(call.hangup_reason, '');

    const steps = entries.filter((e) => e.kind === 'flow');
    assert.deepEqual(
      steps.map((e) => `${e.data.action_type} ${e.data.event}${e.data.result ? ` ${e.data.result}` : ''}`),
      [
        'answer start',
        'answer end next',
        'talk start',
        'talk end next',
        'webhook_send start',
        'webhook_send end next',
        'hangup start',
        // The call's hangup stops its activeflow while the action still waits (docs/timeline.md "Entries").
        'hangup end aborted',
      ],
    );
    assert.ok(steps.every((e) => e.activeflow_id === call.activeflow_id && e.call_id === call.id));
    const at = (e: Entry | undefined) => entries.indexOf(e as Entry);
    const progressing = status.find((e) => e.data.to === 'progressing');
    assert.ok(at(progressing) < at(steps[1]), 'the call is progressing before answer ends');
    assert.ok(at(steps[6]) < at(hangup), 'the hangup step starts before the call is hung up');

    const http = entries.filter((e) => e.kind === 'http');
    assert.equal(http.length, 1, JSON.stringify(http));
    const request = http[0] as Entry;
    assert.equal(request.data.action_type, 'webhook_send');
    assert.equal(request.data.action_id, steps[4]?.data.action_id);
    assert.equal(request.data.status, 200);
    assert.equal(request.data.method, 'POST');
    assert.equal(request.data.url, receiver.url('/flow-hook'), 'no query');
    assert.equal(typeof request.data.latency_ms, 'number');
    assert.ok(request.data.latency_ms >= 0);
    assert.ok(at(steps[4]) < at(request) && at(request) < at(steps[5]), 'the request lies within its step');

    const webhooks = entries.filter((e) => e.kind === 'webhook' && e.call_id === call.id);
    assert.deepEqual(
      webhooks.map((e) => e.data.event_type).sort(),
      delivered.map((r) => r.json.type).sort(),
      'one entry per delivered event of the call',
    );
    for (const w of webhooks) {
      assert.equal(w.data.status, 200);
      assert.equal(w.data.url, receiver.url('/hook'));
      assert.equal(w.data.method, 'POST');
      assert.equal(w.data.attempt, 1);
      assert.ok(typeof w.data.latency_ms === 'number' && w.data.latency_ms >= 0);
    }
    const counts: Record<string, number> = {};
    for (const e of entries) counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    t.diagnostic(`entries by kind: ${JSON.stringify(counts)}`);
    t.diagnostic(
      `http latency ${request.data.latency_ms} ms; webhook latencies ${webhooks.map((w) => w.data.latency_ms).join(', ')} ms`,
    );
  });
});
