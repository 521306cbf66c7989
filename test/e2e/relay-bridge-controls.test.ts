import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseWav } from '../../src/media/index.ts';
import {
  createNumberWithFlow,
  createProvider,
  createRoute,
  expectStatus,
  startTestCallbin,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { toneAmplitude } from '../support/phones.ts';
import { RawSipUa, RtpParty } from '../support/relay-peers.ts';
import type { Heard, RawCall } from '../support/relay-peers.ts';

/*
 * docs/media.md "Bridging": two legs with the same codec bridged by `connect` are relayed, only the
 * RTP header rewritten. Every party sends its own tagged tone (relay-peers.ts): a packet that arrives
 * bit-exact was relayed, one that arrives with the tone but not the tag was decoded on the way.
 * Hold, mute, recording and a blind transfer (docs/calls.md) are checked on what each peer received.
 */

const DIALLED = '+15550003200';
const CALLEE = '+15550004200';
const TRANSFEREE = '+15550004201';
const WINDOW_MS = 1000;
/** Half a second of 20 ms packets. */
const FLOWING = 25;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const count = (m: Map<number, number>, party: RtpParty): number => m.get(party.id) ?? 0;
const show = (h: Heard): string =>
  JSON.stringify({ exact: [...h.exact], reencoded: [...h.reencoded], other: h.other, audible: h.otherAudible });

/** Asserts `listener` heard `speaker` bit-exact (through the relay) and never re-encoded, or nothing of it. */
function assertHears(h: Heard, listener: RtpParty, speaker: RtpParty, hears: boolean, what: string): void {
  const label = `${what}: party ${listener.id} heard ${show(h)}`;
  if (hears) {
    assert.ok(count(h.exact, speaker) >= FLOWING, `${label}; expected party ${speaker.id} relayed bit-exact`);
    assert.equal(count(h.reencoded, speaker), 0, `${label}; party ${speaker.id} must not arrive re-encoded`);
  } else {
    assert.equal(count(h.exact, speaker) + count(h.reencoded, speaker), 0, `${label}; expected none of ${speaker.id}`);
  }
}

/**
 * Listens on both parties at once: a direction that should carry audio until FLOWING of the
 * speaker's packets came (a busy machine only delays them), one that should not for a whole window.
 */
async function expectAudio(x: RtpParty, y: RtpParty, xHearsY: boolean, yHearsX: boolean, what: string) {
  const listen = (listener: RtpParty, speaker: RtpParty, hears: boolean): Promise<Heard> =>
    hears ? listener.until((h) => count(h.exact, speaker) >= FLOWING) : listener.during(WINDOW_MS);
  const heard = await Promise.all([listen(x, y, xHearsY), listen(y, x, yHearsX)]);
  assertHears(heard[0], x, y, xHearsY, what);
  assertHears(heard[1], y, x, yHearsX, what);
  return heard;
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms`);
    await pause(25);
  }
}

describe('relayed bridge e2e: audio both ways through hold, mute, recording and a blind transfer', () => {
  let cb: TestCallbin;
  let callerUa: RawSipUa;
  let providerUa: RawSipUa;
  let a: RtpParty;
  let b: RtpParty;
  let c: RtpParty;
  let callerDialog: RawCall;
  let master: any;
  let chained: any;

  before(async () => {
    cb = await startTestCallbin();
    [a, b, c] = await Promise.all([RtpParty.open(1, 400), RtpParty.open(2, 1000), RtpParty.open(3, 800)]);
    providerUa = await RawSipUa.open(cb.sipPort, (user) => (user === CALLEE ? b : user === TRANSFEREE ? c : undefined));
    callerUa = await RawSipUa.open(cb.sipPort);
    // The provider is at 127.0.0.1, so the caller UA (same address) is a trusted source too.
    await createRoute(cb, await createProvider(cb, providerUa.port), 1, '+1');
    await createNumberWithFlow(cb, DIALLED, [
      { type: 'answer' },
      { type: 'connect', option: { destinations: [{ type: 'tel', target: CALLEE }] } },
    ]);
  });

  after(async () => {
    await cb?.close();
    callerUa?.close();
    providerUa?.close();
    await Promise.all([a, b, c].map((p) => p?.close()));
  });

  it('the caller dials, the flow connects the callee: each hears the other bit-exact, so relayed, also after a pause', async () => {
    callerDialog = await callerUa.call(DIALLED, '+15550001200', a);
    master = await waitForListedCall(cb, (call) => call.direction === 'incoming');
    const listed = await waitForListedCall(cb, (call) => call.direction === 'outgoing');
    chained = await waitForCall(cb, listed.id, (call) => call.status === 'progressing');
    assert.equal(chained.master_call_id, master.id);
    await providerUa.dialogOf(CALLEE);
    await pause(300);
    await expectAudio(a, b, true, true, 'bridged');

    // docs/media.md "Bridging": while the callee pauses the caller's leg fills in; then the relay takes over again.
    b.fallSilent(25);
    const pauseHeard = await a.during(WINDOW_MS / 2);
    assert.ok(pauseHeard.other > 0, `the caller's leg filled the pause in: ${show(pauseHeard)}`);
    await pause(300);
    assertHears(await a.until((h) => count(h.exact, b) >= FLOWING), a, b, true, 'after the pause');
  });

  it('hold on the caller: it hears music, never the callee, and the callee no longer hears it; unhold relays both ways again', async () => {
    expectStatus(await cb.api('POST', `/v1.0/calls/${master.id}/moh`), 200);
    assert.equal(expectStatus(await cb.api('POST', `/v1.0/calls/${master.id}/hold`), 200).hold, true);
    await eventually('the caller got a sendonly re-INVITE', () => callerDialog.reinvites.at(-1) === 'sendonly');
    await pause(300);
    const [heardByA] = await expectAudio(a, b, false, false, 'held');
    assert.ok(heardByA.otherAudible > 0, `the held caller hears hold music: ${show(heardByA)}`);

    assert.equal(expectStatus(await cb.api('DELETE', `/v1.0/calls/${master.id}/hold`), 200).hold, false);
    await eventually('the caller got a sendrecv re-INVITE', () => callerDialog.reinvites.at(-1) === 'sendrecv');
    await pause(300);
    await expectAudio(a, b, true, true, 'unheld');
    expectStatus(await cb.api('DELETE', `/v1.0/calls/${master.id}/moh`), 200);
  });

  it('mute in / out / both on the caller silences exactly the muted directions; unmute relays again', async () => {
    const cases = [
      { direction: 'in', aHearsB: false, bHearsA: true },
      { direction: 'out', aHearsB: true, bHearsA: false },
      { direction: 'both', aHearsB: false, bHearsA: false },
    ];
    for (const m of cases) {
      const muted = expectStatus(
        await cb.api('POST', `/v1.0/calls/${master.id}/mute`, { direction: m.direction }),
        200,
      );
      assert.equal(muted.mute_direction, m.direction);
      await pause(200);
      await expectAudio(a, b, m.aHearsB, m.bHearsA, `mute ${m.direction}`);
      const unmuted = expectStatus(
        await cb.api('DELETE', `/v1.0/calls/${master.id}/mute`, { direction: m.direction }),
        200,
      );
      assert.equal(unmuted.mute_direction, '');
    }
    await pause(200);
    await expectAudio(a, b, true, true, 'unmuted');
  });

  it("recording the caller's call: the relay goes on both ways, _in.wav holds the caller's tone and _out.wav the callee's", async () => {
    const started = expectStatus(
      await cb.api('POST', `/v1.0/calls/${master.id}/recording_start`, { format: 'wav' }),
      200,
    );
    const id = started.recording_id as string;
    await expectAudio(a, b, true, true, 'recording');
    await pause(500);
    expectStatus(await cb.api('POST', `/v1.0/calls/${master.id}/recording_stop`), 200);
    await eventually(
      'the recording ended',
      async () => (await cb.api('GET', `/v1.0/recordings/${id}`)).body.status === 'ended',
    );
    const dir = join(cb.handle.config.dataDir, 'recordings');
    for (const [side, own, other] of [
      ['in', a, b],
      ['out', b, a],
    ] as const) {
      const samples = parseWav(await readFile(join(dir, `${id}_${side}.wav`))).samples;
      assert.ok(samples.length >= 4000, `${side}: at least half a second recorded (${samples.length} samples)`);
      const [mine, theirs] = [toneAmplitude(samples, own.hz), toneAmplitude(samples, other.hz)];
      assert.ok(
        mine > 4000 && theirs < mine / 20,
        `${side}.wav: ${own.hz} Hz at ${mine.toFixed(0)}, ${other.hz} Hz at ${theirs.toFixed(0)}`,
      );
    }
  });

  it('a blind transfer of the callee to a third party: the caller ends up relayed to it both ways', async () => {
    const transfer = expectStatus(
      await cb.api('POST', '/v1.0/transfers', {
        type: 'blind',
        transferer_call_id: chained.id,
        transferee: { type: 'tel', target: TRANSFEREE },
      }),
      200,
    );
    await eventually(
      'the transfer completed',
      async () => (await cb.api('GET', `/v1.0/transfers/${transfer.id}`)).body.status === 'completed',
      15_000,
    );
    await waitForCall(cb, chained.id, (call) => call.status === 'hangup');
    const agentDialog = await providerUa.dialogOf(CALLEE);
    await eventually('the agent got its BYE', () => agentDialog.byeReceived);
    assert.equal(agentDialog.reinvites[0], 'sendonly', 'the agent was held first');
    await providerUa.dialogOf(TRANSFEREE);
    await pause(300);
    const [heardByA] = await expectAudio(a, c, true, true, 'transferred');
    assertHears(heardByA, a, b, false, 'transferred');

    assert.equal(await callerDialog.bye(), 200);
    await waitForCall(cb, master.id, (call) => call.status === 'hangup');
    await eventually('the transferee got its BYE', () =>
      providerUa.dialogs.some((d) => d.user === TRANSFEREE && d.byeReceived),
    );
  });

  it('through every change above each party got one continuous stream: one SSRC, sequence +1, timestamps never back', () => {
    for (const party of [a, b, c]) assert.deepEqual(party.streamFaults, [], `party ${party.id}`);
  });
});
