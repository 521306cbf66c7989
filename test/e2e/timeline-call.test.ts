import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  apiCall,
  createProvider,
  createNumberWithFlow,
  createRoute,
  expectStatus,
  startSippCaller,
  startSippProvider,
  startTestCallbin,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** One entry as `GET /v1.0/calls/{id}/timeline` serves it (docs/timeline.md "Entries"). */
interface Entry {
  kind: string;
  summary: string;
  tm: string;
  seq: number;
  call_id: string;
  activeflow_id: string;
  data: Record<string, any>;
}

/** Every page of a call's timeline, oldest first. */
async function timeline(cb: TestCallbin, callId: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let token = '';
  for (;;) {
    const query = `page_size=100&sip_text=true${token === '' ? '' : `&page_token=${encodeURIComponent(token)}`}`;
    const page = expectStatus(await cb.api('GET', `/v1.0/calls/${callId}/timeline?${query}`), 200);
    entries.push(...(page.result as Entry[]));
    token = (page.next_page_token as string | undefined) ?? '';
    if (token === '' || page.result.length === 0) return entries;
  }
}

/** Polls the timeline until `done` holds (entries are written in batches, shortly after they happen). */
async function timelineUntil(cb: TestCallbin, callId: string, done: (entries: Entry[]) => boolean): Promise<Entry[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const entries = await timeline(cb, callId);
    if (done(entries)) return entries;
    if (Date.now() > deadline) throw new Error(`the timeline never completed:\n${ladder(entries).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The entries as lines for people, for failure messages. */
function ladder(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.kind}: ${e.summary}${e.kind === 'sip' ? ` [${e.data.cseq}]` : ''}`);
}

const sip = (method: string, direction: 'in' | 'out') => (e: Entry) =>
  e.kind === 'sip' && e.data.method === method && e.data.direction === direction && e.data.retransmission !== true;
const sipStatus = (status: number, cseqMethod: string) => (e: Entry) =>
  e.kind === 'sip' &&
  e.data.status === status &&
  e.data.direction === 'in' &&
  String(e.data.cseq).endsWith(cseqMethod) &&
  e.data.retransmission !== true;

describe('timeline e2e: the SIP ladder, flow steps and media events of whole calls', () => {
  let cb: TestCallbin;
  let receiver: WebhookReceiver;
  const sipps: SippProcess[] = [];

  before(async () => {
    cb = await startTestCallbin();
    receiver = await WebhookReceiver.start();
  });

  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await receiver.close();
    await cb.close();
  });

  it('lists both INVITE transactions, the status changes, the flow steps, the digit, the webhook and the BYE in order', async () => {
    const failing = await startSippProvider('calls-uas-503.xml');
    const answering = await startSippProvider('timeline-uas-dtmf.xml');
    sipps.push(failing.sipp, answering.sipp);
    await createRoute(cb, await createProvider(cb, failing.port), 1);
    await createRoute(cb, await createProvider(cb, answering.port), 2);

    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+15550002200' }],
        actions: [
          { type: 'talk', option: { text: 'Press one.', language: 'en-US' } },
          { type: 'digits_receive', option: { length: 1, duration: 10_000 } },
          {
            type: 'webhook_send',
            option: { uri: receiver.url('/pressed'), data: '{"digits":"${voipbin.call.digits}"}', sync: true },
          },
          { type: 'hangup' },
        ],
      }),
      200,
    );
    const id = created.calls[0].id as string;
    const ended = await waitForCall(cb, id, (c) => c.status === 'hangup', 30_000);
    assert.deepEqual(
      ended.route_attempts.map((a: any) => a.sip_status),
      [503, 200],
    );
    assert.equal((await answering.sipp.exited).code, 0, 'the answering provider got its ACK and our BYE');
    assert.equal(receiver.delivered.filter((r) => r.path === '/pressed')[0]?.json?.digits, '1');

    const entries = await timelineUntil(cb, id, (es) => es.some(sipStatus(200, 'BYE')));
    const lines = ladder(entries);
    const at = (what: string, found: (e: Entry) => boolean, from = 0): number => {
      const i = entries.findIndex((e, j) => j >= from && found(e));
      assert.ok(i >= 0, `${what} is on the timeline:\n${lines.join('\n')}`);
      return i;
    };
    assert.ok(
      entries.every((e, i) => i === 0 || entries[i - 1]!.tm <= e.tm),
      'entries come oldest first',
    );
    assert.ok(
      entries.every((e) => e.call_id === id || e.activeflow_id === ended.activeflow_id),
      'every entry is the call’s or its activeflow’s',
    );

    // The first INVITE transaction: refused 503 and ACKed (RFC 3261 §17.1.1.3).
    const invite1 = at('the first INVITE', sip('INVITE', 'out'));
    const refused = at('the 503', sipStatus(503, 'INVITE'), invite1);
    const ack1 = at('the ACK of the 503', sip('ACK', 'out'), refused);
    const firstCallId = entries[invite1]!.data.sip_call_id;
    assert.equal(entries[refused]!.data.sip_call_id, firstCallId);
    assert.equal(entries[refused]!.data.reason, 'Service Unavailable');
    assert.equal(entries[refused]!.summary, '503 Service Unavailable ←');
    assert.match(entries[invite1]!.data.peer, new RegExp(`^udp:127\\.0\\.0\\.1:${failing.port}$`));
    // The second: 100, 180, 200, ACK, on another Call-ID to the other provider.
    const invite2 = at('the second INVITE', sip('INVITE', 'out'), ack1);
    const secondCallId = entries[invite2]!.data.sip_call_id;
    assert.notEqual(secondCallId, firstCallId);
    assert.match(entries[invite2]!.data.peer, new RegExp(`:${answering.port}$`));
    const trying = at('the 100', sipStatus(100, 'INVITE'), invite2);
    const ringing = at('the 180', sipStatus(180, 'INVITE'), trying);
    const ok = at('the 200 of the INVITE', sipStatus(200, 'INVITE'), ringing);
    const ack2 = at('the ACK of the 200', sip('ACK', 'out'), ok);
    assert.equal(entries[ok]!.data.headers.Server, 'sipp-timeline-provider');
    assert.ok(String(entries[ok]!.data.text).includes('a=rtpmap:101 telephone-event/8000'), 'the text holds the SDP');
    for (const i of [trying, ringing, ok, ack2]) assert.equal(entries[i]!.data.sip_call_id, secondCallId);
    assert.notEqual(entries[ack2]!.data.leg_id, entries[ack1]!.data.leg_id, 'each attempt is a leg of its own');

    // The status changes, the flow steps, the digit and the webhook, between the answer and the BYE.
    const status = (to: string) => (e: Entry) => e.kind === 'status' && e.data.to === to;
    at('the call answered (progressing)', status('progressing'));
    const flowStep = (type: string, event: 'start' | 'end') => (e: Entry) =>
      e.kind === 'flow' && e.data.action_type === type && e.data.event === event;
    const talk = at('talk started', flowStep('talk', 'start'), ok);
    at('talk ended', flowStep('talk', 'end'), talk);
    const digitsStart = at('digits_receive started', flowStep('digits_receive', 'start'), talk);
    const digit = at('the digit 1', (e) => e.kind === 'media' && e.data.event === 'dtmf_in', ack2);
    assert.equal(entries[digit]!.data.digit, '1');
    assert.equal(entries[digit]!.data.leg_id, entries[ack2]!.data.leg_id);
    const digitsEnd = at('digits_receive ended', flowStep('digits_receive', 'end'), Math.max(digit, digitsStart));
    const webhookStart = at('webhook_send started', flowStep('webhook_send', 'start'), digitsEnd);
    const http = at('the webhook request', (e) => e.kind === 'http', webhookStart);
    assert.equal(entries[http]!.data.status, 200);
    assert.equal(typeof entries[http]!.data.latency_ms, 'number');
    assert.ok(String(entries[http]!.data.url).endsWith('/pressed'));
    const hangupStep = at('the hangup step', flowStep('hangup', 'start'), http);
    // The BYE callbin sends and its 200, then the call is hung up.
    const bye = at('the BYE', sip('BYE', 'out'), hangupStep);
    const byeOk = at('the 200 of the BYE', sipStatus(200, 'BYE'), bye);
    assert.equal(entries[byeOk]!.data.sip_call_id, secondCallId);
    at('the call hung up', status('hangup'), ack2);

    // Only the two dialogs of the call are there: no OPTIONS, no REGISTER.
    const dialogs = new Set(entries.filter((e) => e.kind === 'sip').map((e) => e.data.sip_call_id));
    assert.deepEqual([...dialogs].sort(), [firstCallId, secondCallId].sort());
    console.log(
      `timeline of ${entries.length} entries: ${entries.filter((e) => e.kind === 'sip').length} SIP messages ` +
        `(${entries.filter((e) => e.data.retransmission === true).length} retransmissions), ` +
        `digit at #${digit}, BYE 200 at #${byeOk}`,
    );

    // Another customer does not see it.
    const other = expectStatus(await cb.api('POST', '/v1.0/customers', { name: 'other' }), 200);
    const key = expectStatus(await cb.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: other.id }), 200)
      .token as string;
    const asOther = await apiCall(cb.handle.apiUrl, key, 'GET', `/v1.0/calls/${id}/timeline`);
    assert.equal(asOther.status, 404, JSON.stringify(asOther.body));
  });

  it('an incoming call: the INVITE that arrived before its call existed heads the ladder', async () => {
    // Calls from 127.0.0.1 are a provider's; the caller's RTP goes to a socket of this test.
    await createProvider(cb, 5999);
    const rtp = createSocket('udp4');
    await new Promise<void>((resolve) => rtp.bind(0, '127.0.0.1', resolve));
    try {
      await createNumberWithFlow(cb, '+15550003300', [
        { type: 'answer' },
        { type: 'talk', option: { text: 'Hello.', language: 'en-US' } },
        { type: 'hangup' },
      ]);
      const caller = await startSippCaller(cb, 'calls-uac-incoming.xml', '+15550003300', {
        keys: { rtp_port: String(rtp.address().port) },
      });
      sipps.push(caller);
      const call = await waitForListedCall(cb, (c) => c.destination?.target === '+15550003300');
      await waitForCall(cb, call.id, (c) => c.status === 'hangup');
      assert.equal((await caller.exited).code, 0);
      const entries = await timelineUntil(cb, call.id, (es) => es.some(sipStatus(200, 'BYE')));
      const sipEntries = entries.filter((e) => e.kind === 'sip');
      assert.equal(sipEntries[0]?.summary, 'INVITE ←', ladder(entries).join('\n'));
      assert.ok(
        entries.findIndex((e) => e.kind === 'sip') < entries.findIndex((e) => e.kind === 'status'),
        'the INVITE comes before the call was created',
      );
      const order = ['INVITE ←', '200 OK →', 'ACK ←', 'BYE →', '200 OK ←'].map((summary) =>
        sipEntries.findIndex((e) => e.summary === summary),
      );
      assert.ok(
        order.every((i, k) => i >= 0 && (k === 0 || i > (order[k - 1] ?? 0))),
        ladder(entries).join('\n'),
      );
      assert.equal(new Set(sipEntries.map((e) => e.data.leg_id)).size, 1, 'one leg');
    } finally {
      rtp.close();
    }
  });
});
