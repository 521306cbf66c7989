import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, silentLogger as silent } from '../../shared/index.ts';
import { parseMessage } from '../../sip/index.ts';
import type { MessagePeer, SipMessageObserver } from '../../sip/index.ts';
import { noTimeline } from '../../timeline/index.ts';
import type { NewTimelineEntry, TimelineRecorder } from '../../timeline/index.ts';
import { MediaTimeline } from '../media/media-timeline.ts';
import { SIP_TEXT_MAX_BYTES, SipTimeline, sipEntry, startCallTimelines } from './sip-timeline.ts';

const CUSTOMER = '11111111-1111-4111-8111-111111111111';
const CALL = '22222222-2222-4222-8222-222222222222';
const PEER: MessagePeer = { transport: 'UDP', address: '203.0.113.7', port: 5060 };

class ListRecorder implements TimelineRecorder {
  readonly enabled = true;
  readonly entries: NewTimelineEntry[] = [];
  record(entry: NewTimelineEntry): void {
    this.entries.push(entry);
  }
}

function request(method: string, callId: string, extra: string[] = [], toTag = '', body = ''): Buffer {
  return Buffer.from(
    [
      `${method} sip:+15550002200@203.0.113.7 SIP/2.0`,
      'Via: SIP/2.0/UDP 198.51.100.1:5060;rport;branch=z9hG4bKabc1',
      'Max-Forwards: 70',
      'From: <sip:+15550001000@198.51.100.1>;tag=f1',
      `To: <sip:+15550002200@203.0.113.7>${toTag}`,
      `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`,
      'Contact: <sip:callbin@198.51.100.1:5060>',
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

function response(status: string, callId: string, extra: string[] = []): Buffer {
  return Buffer.from(
    [
      `SIP/2.0 ${status}`,
      'Via: SIP/2.0/UDP 198.51.100.1:5060;rport;branch=z9hG4bKabc1',
      'From: <sip:+15550001000@198.51.100.1>;tag=f1',
      'To: <sip:+15550002200@203.0.113.7>;tag=t9',
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

function setup(customerOf: (id: string) => Promise<string | undefined> = async () => CUSTOMER) {
  const clock = new FakeClock(Date.parse('2024-05-01T10:00:00.000Z'));
  const recorder = new ListRecorder();
  const legs = new MediaTimeline({ recorder, customerOf, clock });
  const sip = new SipTimeline({ legs, clock });
  const see = (bytes: Buffer, direction: 'in' | 'out', peer = PEER): void =>
    sip.observe(parseMessage(bytes), direction, peer, bytes);
  // The customer lookup is asynchronous: let it settle.
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return { clock, recorder, legs, sip, see, settle };
}

describe('SipTimeline', () => {
  it('records the messages of a tracked Call-ID on its leg, call and customer; retransmissions marked', async () => {
    const t = setup();
    t.sip.track('out-1@callbin', 'leg-1', CALL);
    t.see(request('INVITE', 'out-1@callbin'), 'out');
    t.clock.advance(500);
    t.see(request('INVITE', 'out-1@callbin'), 'out');
    t.see(response('503 Service Unavailable', 'out-1@callbin', ['Retry-After: 30', 'Server: trunk/1.0']), 'in');
    await t.settle();
    assert.deepEqual(
      t.recorder.entries.map((e) => e.summary),
      ['INVITE →', 'INVITE → (retransmission)', '503 Service Unavailable ←'],
    );
    for (const e of t.recorder.entries) {
      assert.equal(e.customer_id, CUSTOMER);
      assert.equal(e.call_id, CALL);
      assert.equal(e.kind, 'sip');
      assert.equal(e.data?.leg_id, 'leg-1');
      assert.equal(e.data?.sip_call_id, 'out-1@callbin');
      assert.equal(e.data?.peer, 'udp:203.0.113.7:5060');
    }
    const [first, again, refused] = t.recorder.entries;
    assert.equal(first?.data?.retransmission, undefined);
    assert.equal(again?.data?.retransmission, true);
    assert.equal((again?.atMs ?? 0) - (first?.atMs ?? 0), 500);
    assert.deepEqual(
      [refused?.data?.direction, refused?.data?.status, refused?.data?.reason, refused?.data?.cseq],
      ['in', 503, 'Service Unavailable', '1 INVITE'],
    );
  });

  it('keeps an incoming INVITE until its leg is made, then records it at its arrival time once the call is bound', async () => {
    const t = setup();
    const arrivedAt = t.clock.now();
    t.see(request('INVITE', 'in-1@phone'), 'in');
    t.see(response('100 Trying', 'in-1@phone'), 'out');
    assert.equal(t.sip.arriving, 1);
    t.clock.advance(40);
    t.sip.track('in-1@phone', 'leg-in');
    t.see(response('180 Ringing', 'in-1@phone'), 'out');
    await t.settle();
    assert.equal(t.recorder.entries.length, 0, 'nothing before the leg has a call');
    t.legs.bindLeg('leg-in', CALL);
    await t.settle();
    assert.deepEqual(
      t.recorder.entries.map((e) => [e.summary, e.call_id]),
      [
        ['INVITE ←', CALL],
        ['100 Trying →', CALL],
        ['180 Ringing →', CALL],
      ],
    );
    assert.equal(t.recorder.entries[0]?.atMs, arrivedAt);
    assert.equal(t.sip.arriving, 0);
  });

  it('records nothing for REGISTER, OPTIONS, untracked dialogs and INVITEs no leg took', async () => {
    const t = setup();
    t.see(request('REGISTER', 'reg-1@phone'), 'in');
    t.see(response('200 OK', 'reg-1@phone'), 'out');
    t.see(request('OPTIONS', 'opt-1@callbin'), 'out');
    t.see(request('OPTIONS', 'opt-2@scanner'), 'in');
    t.see(request('BYE', 'gone@phone', [], ';tag=x'), 'in');
    t.see(request('INVITE', 'health@callbin'), 'out');
    assert.equal(t.sip.arriving, 0, 'only incoming initial INVITEs wait for a leg');
    t.see(request('INVITE', 'scan-1@scanner', ['User-Agent: friendly-scanner']), 'in');
    t.see(response('404 Not Found', 'scan-1@scanner'), 'out');
    t.legs.bindLeg('leg-other', CALL);
    t.sip.track('other@callbin', 'leg-other');
    t.clock.advance(40_000);
    t.see(request('INVITE', 'scan-2@scanner'), 'in');
    await t.settle();
    assert.deepEqual(t.recorder.entries, []);
    // The scanner's INVITE expired: a leg taking its Call-ID later gets nothing of it.
    t.sip.track('scan-1@scanner', 'leg-late', CALL);
    await t.settle();
    assert.deepEqual(t.recorder.entries, []);
  });

  it('drops the entries of a call whose customer is unknown', async () => {
    const t = setup(async () => undefined);
    t.sip.track('x@callbin', 'leg-x', CALL);
    t.see(request('INVITE', 'x@callbin'), 'out');
    await t.settle();
    assert.deepEqual(t.recorder.entries, []);
  });

  it('keeps the headers that matter and the branch, hides digest responses in the text', () => {
    const bytes = request('INVITE', 'h@callbin', [
      'Proxy-Authorization: Digest username="trunk", realm="x", nonce="n1", uri="sip:a@b", response="0123456789abcdef"',
      'User-Agent: callbin',
      'Reason: Q.850;cause=16',
      'X-Custom: secret-ish',
    ]);
    const { data, summary } = sipEntry(parseMessage(bytes), 'out', PEER, bytes, false);
    assert.equal(summary, 'INVITE →');
    assert.deepEqual(data.headers, {
      From: '<sip:+15550001000@198.51.100.1>;tag=f1',
      To: '<sip:+15550002200@203.0.113.7>',
      Contact: '<sip:callbin@198.51.100.1:5060>',
      Reason: 'Q.850;cause=16',
      'User-Agent': 'callbin',
      branch: 'z9hG4bKabc1',
    });
    assert.equal(data.method, 'INVITE');
    const text = String(data.text);
    assert.ok(text.startsWith('INVITE sip:+15550002200@203.0.113.7 SIP/2.0\r\n'));
    assert.ok(!text.includes('0123456789abcdef'), 'the digest response is hidden');
    assert.match(text, /username="trunk".*response="…"/);
    assert.equal(data.text_truncated, undefined);
  });

  it('bounds the text to 8 KiB, cut at a UTF-8 character boundary', () => {
    // 3-byte characters so the bound falls inside one of them.
    const bytes = request('INFO', 'big@callbin', [], ';tag=t9', '€'.repeat(4000));
    assert.ok(bytes.length > SIP_TEXT_MAX_BYTES);
    const { data } = sipEntry(parseMessage(bytes), 'in', PEER, bytes, false);
    const text = String(data.text);
    const size = Buffer.byteLength(text);
    assert.ok(size <= SIP_TEXT_MAX_BYTES && size > SIP_TEXT_MAX_BYTES - 3, `text of ${size} bytes`);
    assert.ok(!text.includes('\uFFFD'), 'no character was split');
    assert.equal(data.text_truncated, true);
  });
});

describe('startCallTimelines', () => {
  it('does not observe the SIP transport at all when the timeline is off', () => {
    let observed = 0;
    const sip = {
      observe: (_: SipMessageObserver) => {
        observed++;
        return () => {};
      },
    };
    const clock = new FakeClock(0);
    const off = startCallTimelines({
      recorder: noTimeline,
      sip,
      customerOf: async () => CUSTOMER,
      clock,
      logger: silent,
    });
    assert.equal(off, undefined);
    assert.equal(observed, 0);
    const on = startCallTimelines({
      recorder: new ListRecorder(),
      sip,
      customerOf: async () => CUSTOMER,
      clock,
      logger: silent,
    });
    assert.ok(on);
    assert.equal(observed, 1);
    assert.equal(on.media.dialogs, on.sip, 'legs reach the SIP timeline through the media timeline');
  });
});
