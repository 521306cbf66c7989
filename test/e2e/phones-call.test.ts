import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listen, pause, rms, startPhoneLab, toneAmplitude, type Phone, type PhoneLab } from '../support/phones.ts';

/** Amplitude above which a tone counts as heard (played at 8000), and below which it counts as absent. */
const HEARD = 2000;
const ABSENT = 400;

function assertHears(heard: Int16Array, phone: Phone, what: string): void {
  assert.ok(heard.length >= 4000, `${what}: at least half a second was recorded (${heard.length} samples)`);
  const amp = toneAmplitude(heard, phone.toneHz);
  assert.ok(
    amp > HEARD,
    `${what}: ${phone.toneHz} Hz heard (amplitude ${amp.toFixed(0)}, rms ${rms(heard).toFixed(0)})`,
  );
}

function assertDoesNotHear(heard: Int16Array, phone: Phone, what: string): void {
  const amp = toneAmplitude(heard, phone.toneHz);
  assert.ok(
    amp < ABSENT,
    `${what}: ${phone.toneHz} Hz not heard (amplitude ${amp.toFixed(0)}, rms ${rms(heard).toFixed(0)})`,
  );
}

describe('phone to phone through callbin (baresip as extensions 1001 and 1002)', { timeout: 180_000 }, () => {
  let lab: PhoneLab;
  let alice: Phone;
  let bob: Phone;
  let calleeCallId = '';

  before(async () => {
    lab = await startPhoneLab();
    alice = await lab.addPhone('1001', { toneHz: 500 });
    // 1002 is held below: baresip 1.0 stops its *-dec.wav at a hold re-INVITE, so the RTP reaching it is recorded too.
    bob = await lab.addPhone('1002', { toneHz: 900, traceRtp: true });
  });
  after(() => lab?.close());

  it("1001 dials 1002: two chained calls, and each phone hears the other's tone", async () => {
    await alice.dial('1002');
    await Promise.all([alice.nextEvent('CALL_ESTABLISHED'), bob.nextEvent('CALL_ESTABLISHED')]);
    const live = await lab.liveCalls();
    const master = live.find((c) => c.direction === 'incoming');
    const callee = live.find((c) => c.direction === 'outgoing');
    assert.ok(master && callee, `two live calls: ${JSON.stringify(live.map((c) => [c.direction, c.status]))}`);
    assert.equal(callee.master_call_id, master.id);
    assert.equal(callee.destination.target, '1002');
    assert.equal(callee.status, 'progressing');
    calleeCallId = callee.id;
    await pause(500);
    const [aliceHeard, bobHeard] = await listen([alice, bob]);
    assertHears(aliceHeard!, bob, '1001');
    assertHears(bobHeard!, alice, '1002');
    assertDoesNotHear(aliceHeard!, alice, '1001 (no echo of itself)');
  });

  it("mute in / out / both on 1002's call silences exactly those directions; unmute restores", async () => {
    const cases: { direction: 'in' | 'out' | 'both'; bobHears: boolean; aliceHears: boolean }[] = [
      { direction: 'in', bobHears: false, aliceHears: true },
      { direction: 'out', bobHears: true, aliceHears: false },
      { direction: 'both', bobHears: false, aliceHears: false },
    ];
    for (const c of cases) {
      const muted = await lab.api('POST', `/v1.0/calls/${calleeCallId}/mute`, { direction: c.direction });
      assert.equal(muted.mute_direction, c.direction);
      await pause(500);
      const [aliceHeard, bobHeard] = await listen([alice, bob]);
      (c.bobHears ? assertHears : assertDoesNotHear)(bobHeard!, alice, `1002 with mute ${c.direction}`);
      (c.aliceHears ? assertHears : assertDoesNotHear)(aliceHeard!, bob, `1001 with mute ${c.direction}`);
      const unmuted = await lab.api('DELETE', `/v1.0/calls/${calleeCallId}/mute`, { direction: c.direction });
      assert.equal(unmuted.mute_direction, '');
    }
    await pause(500);
    const [aliceHeard, bobHeard] = await listen([alice, bob]);
    assertHears(aliceHeard!, bob, '1001 after unmute');
    assertHears(bobHeard!, alice, '1002 after unmute');
  });

  it("hold: 1002 gets a re-INVITE offer and hears no tone of 1001, 1001 none of it; unhold gives each the other's tone back", async () => {
    assert.ok(calleeCallId, 'the call of the first test is up');
    const offers = (): number =>
      bob.baresip.events.filter((x) => x.type === 'CALL_REMOTE_SDP' && x.param === 'offer').length;
    const offersBefore = offers();
    const held = await lab.api('POST', `/v1.0/calls/${calleeCallId}/hold`);
    assert.equal(held.hold, true);
    await bob.baresip.waitForEvent(() => offers() > offersBefore, 5_000);
    await pause(700);
    // What reached 1002 is read from its RTP: its sndfile recording ended with the hold re-INVITE.
    let bobMark = await bob.rtpMark();
    const [aliceHeard] = await listen([alice, bob]);
    const bobHeard = await bob.rtpHeardSince(bobMark);
    assert.ok(bobHeard.length >= 4000, `held 1002 still gets RTP (music or silence): ${bobHeard.length} samples`);
    assertDoesNotHear(bobHeard, alice, 'held 1002 (the RTP reaching it)');
    assertDoesNotHear(aliceHeard!, bob, '1001 while 1002 is held');
    const unheld = await lab.api('DELETE', `/v1.0/calls/${calleeCallId}/hold`);
    assert.equal(unheld.hold, false);
    await bob.baresip.waitForEvent(() => offers() > offersBefore + 1, 5_000);
    await pause(700);
    bobMark = await bob.rtpMark();
    const [aliceAgain] = await listen([alice, bob]);
    assertHears(aliceAgain!, bob, '1001 after unhold');
    assertHears(await bob.rtpHeardSince(bobMark), alice, '1002 after unhold (the RTP reaching it)');
  });

  it('1002 hangs up: both calls end', async () => {
    await bob.command('hangup');
    await Promise.all([alice.nextEvent('CALL_CLOSED'), bob.nextEvent('CALL_CLOSED')]);
    for (let i = 0; i < 50 && (await lab.liveCalls()).length > 0; i++) await pause(100);
    assert.deepEqual(await lab.liveCalls(), []);
  });
});
