import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { listen, pause, rms, startPhoneLab, toneAmplitude, type Phone, type PhoneLab } from '../support/phones.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** Amplitude of a tone that is heard (the phones play theirs at 8000). */
const HEARD = 2000;

function assertHears(heard: Int16Array, phone: Phone, what: string): number {
  assert.ok(heard.length >= 4000, `${what}: at least half a second was recorded (${heard.length} samples)`);
  const amp = toneAmplitude(heard, phone.toneHz);
  assert.ok(
    amp > HEARD,
    `${what}: ${phone.toneHz} Hz heard (amplitude ${amp.toFixed(0)}, rms ${rms(heard).toFixed(0)})`,
  );
  return amp;
}

/**
 * RFC 5589 §7 with real phones: A (baresip, extension 1001) calls B (1002), holds B, calls C (1003),
 * then sends REFER on the A–B dialog whose Refer-To carries Replaces naming the A–C dialog. baresip
 * 1.0 has no attended-transfer command (`/atransferstart` came later), so A's `transfer` command is
 * given the Refer-To URI with the Replaces built from A's own A–C dialog (its Call-ID from A's
 * ctrl_tcp event, its tags as the dialog has them).
 */
describe('attended transfer by REFER with Replaces (baresip: 1001 = A, 1002 = B, 1003 = C)', {
  timeout: 300_000,
}, () => {
  let lab: PhoneLab;
  let receiver: WebhookReceiver;
  let a: Phone;
  let b: Phone;
  let c: Phone;

  before(async () => {
    lab = await startPhoneLab();
    receiver = await WebhookReceiver.start();
    await lab.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' });
    a = await lab.addPhone('1001', { toneHz: 500 });
    b = await lab.addPhone('1002', { toneHz: 900 });
    c = await lab.addPhone('1003', { toneHz: 1400 });
  });
  after(async () => {
    await lab?.close();
    await receiver?.close();
  });

  /** A's dialogs with callbin still open (callbin's side of them). */
  function dialogsOf(sipCallIds: readonly string[]) {
    return lab.callbin.sip.ua.dialogs.filter((d) => sipCallIds.includes(d.callId) && d.state !== 'terminated');
  }

  /** A talks to B, holds B, talks to C; resolves with the SIP Call-IDs of A's two calls. */
  async function consult(): Promise<{ toB: string; toC: string }> {
    await a.dial('1002');
    const [established] = await Promise.all([a.nextEvent('CALL_ESTABLISHED'), b.nextEvent('CALL_ESTABLISHED')]);
    await a.command('hold');
    await pause(300);
    await a.dial('1003');
    const [second] = await Promise.all([a.nextEvent('CALL_ESTABLISHED'), c.nextEvent('CALL_ESTABLISHED')]);
    await pause(500);
    assert.equal((await lab.liveCalls()).length, 4, "A's two calls and the calls to B and C are live");
    return { toB: String(established.id), toC: String(second.id) };
  }

  /** The Replaces value naming A's dialog `sipCallId` (RFC 3891 §6.1, escaped for a URI header). */
  function replacesFor(sipCallId: string): string {
    const [dialog] = dialogsOf([sipCallId]);
    assert.ok(dialog, `callbin holds A's dialog ${sipCallId}`);
    // callbin answered A's INVITE: its tag is the To tag, A's the From tag.
    const value = `${dialog.callId};to-tag=${dialog.core.localTag};from-tag=${dialog.core.remoteTag}`;
    return encodeURIComponent(value);
  }

  /** Sends REFER on A's first line (the call to B) with `replaces` in the Refer-To URI. */
  async function referWithReplaces(replaces: string): Promise<void> {
    await a.command('line', '1');
    await a.command('transfer', `sip:1003@127.0.0.1:${lab.sipPort}?Replaces=${replaces}`);
  }

  async function hangUpEverything(): Promise<void> {
    for (let i = 0; i < 100 && (await lab.liveCalls()).length > 0; i++) {
      for (const phone of [a, b, c]) await phone.command('hangup').catch(() => '');
      await pause(200);
    }
    assert.deepEqual(
      (await lab.liveCalls()).map((x) => x.id),
      [],
      'no call is left live',
    );
  }

  it('B and C talk to each other, both of A’s dialogs end, and the transfer_* events arrive', async () => {
    const ids = await consult();
    const before = await lab.liveCalls();
    const bCall = before.find((x) => x.direction === 'outgoing' && x.destination.target === '1002');
    const cCall = before.find((x) => x.direction === 'outgoing' && x.destination.target === '1003');
    assert.ok(bCall && cCall, 'the calls to B and C');
    await referWithReplaces(replacesFor(ids.toC));

    await receiver.waitFor(
      (r) => r.delivered.some((d) => d.json?.type === 'transfer_completed'),
      20_000,
      'transfer_completed',
    );
    await Promise.all([a.nextEvent('CALL_CLOSED'), a.nextEvent('CALL_CLOSED')]);
    for (let i = 0; i < 50 && dialogsOf([ids.toB, ids.toC]).length > 0; i++) await pause(100);
    assert.equal(dialogsOf([ids.toB, ids.toC]).length, 0, 'A has no dialog left with callbin');
    const live = await lab.liveCalls();
    assert.deepEqual(live.map((x) => x.id).sort(), [bCall.id, cCall.id].sort(), 'only the calls to B and C are live');
    const closed = a.baresip.events.filter((e) => e.type === 'CALL_CLOSED').slice(-2);
    // baresip closes the referring call with this reason on the NOTIFY `SIP/2.0 200 OK` (RFC 3515).
    assert.equal(closed[0]?.param, 'Call transfered', 'the NOTIFY 200 reached A before its calls ended');

    const events = receiver.delivered.filter((d) => String(d.json?.type).startsWith('transfer_')).map((d) => d.json);
    const types = events.map((e) => e.type);
    for (const t of ['transfer_created', 'transfer_answered', 'transfer_completed'])
      assert.ok(types.includes(t), `${t} delivered (got ${types.join(', ')})`);
    const done = events.find((e) => e.type === 'transfer_completed').data;
    assert.equal(done.type, 'attended');
    assert.equal(done.status, 'completed');
    assert.equal(done.transferred_call_id, bCall.id);
    assert.equal(done.transferee_call_id, cCall.id);
    assert.equal(done.end_reason, '');
    assert.notEqual(done.replaced_call_id, '00000000-0000-0000-0000-000000000000');
    assert.equal((await lab.api('GET', `/v1.0/transfers/${done.id}`)).status, 'completed');
    assert.equal((await lab.api('GET', `/v1.0/calls/${done.transferer_call_id}`)).status, 'hangup');
    assert.equal((await lab.api('GET', `/v1.0/calls/${done.replaced_call_id}`)).status, 'hangup');

    await pause(500);
    const [bHeard, cHeard] = await listen([b, c]);
    const bAmp = assertHears(bHeard!, c, 'B after the transfer');
    const cAmp = assertHears(cHeard!, b, 'C after the transfer');
    console.log(`# B hears C at amplitude ${bAmp.toFixed(0)}, C hears B at ${cAmp.toFixed(0)}`);

    // The transfer joined the two: one hanging up ends the other.
    await b.command('hangup');
    await c.nextEvent('CALL_CLOSED');
    await hangUpEverything();
  });

  it('a Replaces naming no dialog of the customer: NOTIFY 481 and callbin ends nothing itself', async () => {
    const ids = await consult();
    const transferEvents = receiver.received.filter((d) => String(d.json?.type).startsWith('transfer_')).length;
    const bogus = encodeURIComponent('no-such-call@127.0.0.1;to-tag=1234;from-tag=5678');
    await referWithReplaces(bogus);
    const failed = await a.nextEvent('TRANSFER_FAILED');
    assert.match(String(failed.param), /^481 /, 'the NOTIFY sipfrag carries 481');
    await pause(500);
    // baresip 1.0 ends the referring call itself after a failed transfer (A's BYE: hangup_by remote).
    const aToB = (await lab.api('GET', '/v1.0/calls?page_size=4')).result.find(
      (x: any) => x.direction === 'incoming' && x.destination.target === '1002',
    );
    assert.ok(aToB.status === 'progressing' || aToB.hangup_by === 'remote', "callbin did not end A's call to B");
    assert.equal(dialogsOf([ids.toC]).length, 1, "A's dialog to C is untouched");
    const live = await lab.liveCalls();
    assert.ok(
      live.some((x) => x.direction === 'outgoing' && x.destination.target === '1003'),
      'the call to C is still live',
    );
    assert.equal(
      receiver.received.filter((d) => String(d.json?.type).startsWith('transfer_')).length,
      transferEvents,
      'no transfer was created',
    );
    await hangUpEverything();
  });

  it('a malformed Replaces (no tags): the REFER is refused 400', async () => {
    await consult();
    try {
      const before = await lab.liveCalls();
      const transferEvents = receiver.received.filter((d) => String(d.json?.type).startsWith('transfer_')).length;
      await referWithReplaces(encodeURIComponent('only-a-call-id'));
      await a.baresip.waitForOutput(/transfer failed: 400/, 15_000);
      await pause(500);
      // baresip 1.0's menu ends the referring call itself on a failed transfer, sooner or later:
      // A's call to B may be gone, but only by A's BYE (hangup_by remote), never by callbin.
      // The call to B goes with it; A's call to C and the call to C stay.
      for (const call of before) {
        const now = await lab.api('GET', `/v1.0/calls/${call.id}`);
        const what = `the ${call.direction} call to ${call.destination.target}`;
        if (call.destination.target === '1003') assert.equal(now.status, 'progressing', `${what} is still live`);
        else if (call.direction === 'incoming')
          assert.ok(now.status === 'progressing' || now.hangup_by === 'remote', `${what}: only A ended it, if anyone`);
      }
      const transfers = receiver.received.filter((d) => String(d.json?.type).startsWith('transfer_')).length;
      assert.equal(transfers, transferEvents, 'no transfer was created');
    } finally {
      await hangUpEverything();
    }
  });

  it('an INVITE carrying Replaces (RFC 3891 §3) is answered 501, never taken as a new call', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const port = socket.address().port;
      const answer = new Promise<string>((resolve) => socket.once('message', (m) => resolve(m.toString())));
      const invite = [
        `INVITE sip:1003@127.0.0.1:${lab.sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-replaces-1;rport`,
        'Max-Forwards: 70',
        `From: <sip:1001@127.0.0.1>;tag=from-1`,
        `To: <sip:1003@127.0.0.1>`,
        'Call-ID: invite-with-replaces@127.0.0.1',
        'CSeq: 1 INVITE',
        `Contact: <sip:1001@127.0.0.1:${port}>`,
        'Replaces: some-call@127.0.0.1;to-tag=1;from-tag=2',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      const callsBefore = (await lab.api('GET', '/v1.0/calls?page_size=100')).result.length;
      socket.send(invite, lab.sipPort, '127.0.0.1');
      const status = (await answer).split('\r\n')[0];
      assert.equal(status, 'SIP/2.0 501 Replaces Not Implemented');
      await pause(200);
      assert.equal(
        (await lab.api('GET', '/v1.0/calls?page_size=100')).result.length,
        callsBefore,
        'no call was created',
      );
    } finally {
      socket.close();
    }
  });
});
