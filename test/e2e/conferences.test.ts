import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listen, pause, rms, startPhoneLab, toneAmplitude, type Phone, type PhoneLab } from '../support/phones.ts';

/** Amplitude above which a tone counts as heard (played at 8000), and below which it counts as absent. */
const HEARD = 1500;
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

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

describe('conferences with three phones (baresip extensions 1001, 1002, 1003)', { timeout: 240_000 }, () => {
  let lab: PhoneLab;
  let phones: Phone[] = [];
  let conferenceId = '';
  /** The conferencecall of each phone, by extension. */
  const ccOf = new Map<string, string>();
  let apiCallId = '';

  const apiKey = async (): Promise<string> =>
    (await lab.api('POST', '/v1.0/accesskeys', { name: 'recording download' })).token;
  const conferencecalls = async (status = 'joined'): Promise<any[]> =>
    (await lab.api('GET', `/v1.0/conferencecalls?conference_id=${conferenceId}&status=${status}`)).result;

  before(async () => {
    lab = await startPhoneLab();
    phones = [
      await lab.addPhone('1001', { toneHz: 500 }),
      await lab.addPhone('1002', { toneHz: 900 }),
      await lab.addPhone('1003', { toneHz: 1300 }),
    ];
  });
  after(() => lab?.close());

  it('two phones dial conference:<id> and the API calls the third into it; each hears the other two and not itself', async () => {
    const conference = await lab.api('POST', '/v1.0/conferences', { type: 'conference', name: 'standup' });
    assert.equal(conference.status, 'progressing');
    conferenceId = conference.id;
    const [a, b, c] = phones as [Phone, Phone, Phone];
    await a.dial(`conference%3A${conferenceId}`);
    await b.dial(`conference%3A${conferenceId}`);
    // The third joins from a flow: after the conference it must hear the talk that follows conference_join.
    const created = await lab.api('POST', '/v1.0/calls', {
      source: { type: 'tel', target: '+15550001000' },
      destinations: [{ type: 'extension', target: '1003' }],
      actions: [
        { type: 'conference_join', option: { conference_id: conferenceId } },
        {
          type: 'talk',
          option: { text: 'You have left the conference. Goodbye and thank you for joining.', language: 'en-US' },
        },
        { type: 'sleep', option: { duration: 10000 } },
      ],
    });
    apiCallId = created.calls[0].id;
    await Promise.all([
      a.nextEvent('CALL_ESTABLISHED'),
      b.nextEvent('CALL_ESTABLISHED'),
      c.nextEvent('CALL_ESTABLISHED'),
    ]);
    const joined = await eventually(async () => {
      const list = await conferencecalls();
      return list.length === 3 ? list : undefined;
    }, 'three joined conferencecalls');
    const calls = await lab.liveCalls();
    for (const cc of joined) {
      const call = calls.find((x) => x.id === cc.reference_id);
      assert.ok(call, `the call of conferencecall ${cc.id} is live`);
      assert.equal(call.conference_id, conferenceId);
      ccOf.set(call.id === apiCallId ? '1003' : call.source.target, cc.id);
    }
    assert.deepEqual([...ccOf.keys()].sort(), ['1001', '1002', '1003']);
    const now = await lab.api('GET', `/v1.0/conferences/${conferenceId}`);
    assert.deepEqual([...now.conferencecall_ids].sort(), [...ccOf.values()].sort());
    await pause(500);
    const heard = await listen(phones);
    for (const [i, phone] of phones.entries()) {
      for (const other of phones) {
        if (other === phone) assertDoesNotHear(heard[i]!, other, `${phone.extension} (not itself)`);
        else assertHears(heard[i]!, other, `${phone.extension} hears ${other.extension}`);
      }
    }
  });

  it('a muted participant is heard by nobody and still hears the others; unmute restores it', async () => {
    const [a, b, c] = phones as [Phone, Phone, Phone];
    const muted = await lab.api('POST', `/v1.0/conferencecalls/${ccOf.get('1002')}/mute`);
    assert.equal(muted.muted, true);
    await pause(300);
    const [aHeard, bHeard, cHeard] = await listen(phones);
    assertDoesNotHear(aHeard!, b, '1001 with 1002 muted');
    assertDoesNotHear(cHeard!, b, '1003 with 1002 muted');
    assertHears(aHeard!, c, '1001 still hears 1003');
    assertHears(bHeard!, a, 'muted 1002 still hears 1001');
    assertHears(bHeard!, c, 'muted 1002 still hears 1003');
    const unmuted = await lab.api('DELETE', `/v1.0/conferencecalls/${ccOf.get('1002')}/mute`);
    assert.equal(unmuted.muted, false);
    await pause(300);
    const [aAgain] = await listen(phones);
    assertHears(aAgain!, b, '1001 hears 1002 after unmute');
  });

  it('recording_start/stop records the mix of all three into one WAV linked to the conference', async () => {
    const started = await lab.api('POST', `/v1.0/conferences/${conferenceId}/recording_start`);
    const recordingId = started.recording_id as string;
    assert.notEqual(recordingId, '00000000-0000-0000-0000-000000000000');
    assert.deepEqual(started.recording_ids, [recordingId]);
    await lab.api('POST', `/v1.0/conferences/${conferenceId}/recording_start`, undefined, 409);
    await pause(1500);
    const stopped = await lab.api('POST', `/v1.0/conferences/${conferenceId}/recording_stop`);
    assert.equal(stopped.recording_id, '00000000-0000-0000-0000-000000000000');
    const recording = await lab.api('GET', `/v1.0/recordings/${recordingId}`);
    assert.equal(recording.reference_type, 'conference');
    assert.equal(recording.reference_id, conferenceId);
    assert.equal(recording.status, 'ended');
    const res = await fetch(`${lab.callbin.apiUrl}/v1.0/recordingfiles/${recordingId}`, {
      headers: { authorization: `Bearer ${await apiKey()}` },
    });
    assert.equal(res.status, 200);
    const wav = Buffer.from(await res.arrayBuffer());
    const at = wav.indexOf('data', 12, 'latin1');
    const pcm = new Int16Array(Math.floor((wav.length - at - 8) / 2)).map((_x, i) => wav.readInt16LE(at + 8 + 2 * i));
    assert.ok(pcm.length >= 8000, `at least a second of mix (${pcm.length} samples)`);
    for (const phone of phones) assertHears(pcm, phone, `the mix recording has ${phone.extension}`);
  });

  it('kicking 1003 takes it out; its flow continues with the talk after conference_join; the others no longer hear it', async () => {
    const [a, b, c] = phones as [Phone, Phone, Phone];
    const kicked = await lab.api('DELETE', `/v1.0/conferencecalls/${ccOf.get('1003')}`);
    assert.equal(kicked.status, 'leaved');
    const call = await lab.api('GET', `/v1.0/calls/${apiCallId}`);
    assert.notEqual(call.status, 'hangup');
    const activeflow = await eventually(async () => {
      const af = await lab.api('GET', `/v1.0/activeflows/${call.activeflow_id}`);
      return af.executed_actions.some((x: { type: string }) => x.type === 'talk') ? af : undefined;
    }, 'the talk after conference_join to run');
    assert.deepEqual(
      activeflow.executed_actions.slice(0, 2).map((x: { type: string }) => x.type),
      ['conference_join', 'talk'],
    );
    // The phones write what they hear through a buffer: let audio from before the kick reach the files first.
    await pause(500);
    const [aHeard, bHeard, cHeard] = await listen(phones, 1000);
    assertDoesNotHear(aHeard!, c, '1001 after 1003 was kicked');
    assertHears(aHeard!, b, '1001 still hears 1002');
    assertHears(bHeard!, a, '1002 still hears 1001');
    assert.ok(rms(cHeard!) > 300, `kicked 1003 hears the talk (rms ${rms(cHeard!).toFixed(0)})`);
    await eventually(async () => {
      const af = await lab.api('GET', `/v1.0/activeflows/${call.activeflow_id}`);
      return af.current_action.type === 'sleep' ? af : undefined;
    }, 'the talk to end');
    const [, , cAfterTalk] = await listen(phones, 1000);
    assertDoesNotHear(cAfterTalk!, a, 'kicked 1003 no longer hears 1001');
    assertDoesNotHear(cAfterTalk!, b, 'kicked 1003 no longer hears 1002');
    assert.deepEqual((await conferencecalls()).length, 2);
  });

  it('deleting the conference kicks everyone: the flows of 1001 and 1002 end and their calls hang up', async () => {
    const [a, b] = phones as [Phone, Phone, Phone];
    const deleted = await lab.api('DELETE', `/v1.0/conferences/${conferenceId}`);
    assert.equal(deleted.status, 'terminated');
    assert.deepEqual(deleted.conferencecall_ids, []);
    await Promise.all([a.nextEvent('CALL_CLOSED'), b.nextEvent('CALL_CLOSED')]);
    await lab.api('GET', `/v1.0/conferences/${conferenceId}`, undefined, 404);
    assert.deepEqual(await conferencecalls(), []);
  });

  it('a connect conference ends when the second-to-last party leaves', async () => {
    const [a, b] = phones as [Phone, Phone, Phone];
    const connect = await lab.api('POST', '/v1.0/conferences', { type: 'connect' });
    conferenceId = connect.id;
    await a.dial(`conference%3A${conferenceId}`);
    await b.dial(`conference%3A${conferenceId}`);
    await Promise.all([a.nextEvent('CALL_ESTABLISHED'), b.nextEvent('CALL_ESTABLISHED')]);
    await eventually(async () => ((await conferencecalls()).length === 2 ? true : undefined), 'two joined');
    await pause(300);
    const [aHeard] = await listen([a, b], 1000);
    assertHears(aHeard!, b, '1001 hears 1002 in the connect conference');
    await a.command('hangup');
    await b.nextEvent('CALL_CLOSED');
    const ended = await eventually(async () => {
      const c = await lab.api('GET', `/v1.0/conferences/${conferenceId}`);
      return c.status === 'terminated' ? c : undefined;
    }, 'the connect conference to end');
    assert.ok(ended.tm_end);
    assert.deepEqual(ended.conferencecall_ids, []);
  });

  it('conferences are per customer, and an unknown conference is refused to a dialling phone', async () => {
    const other = await lab.api('POST', '/v1.0/conferences', { name: 'mine' });
    const admin = lab.callbin.admin?.accessKey ?? '';
    const res = await fetch(`${lab.callbin.apiUrl}/v1.0/conferences/${other.id}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    assert.equal(res.status, 404);
    await res.body?.cancel();
    const [a] = phones as [Phone];
    await a.dial('conference%3A00000000-0000-4000-8000-00000000dead');
    await a.nextEvent('CALL_CLOSED');
  });
});
