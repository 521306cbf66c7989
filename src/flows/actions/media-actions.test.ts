import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { act } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

describe('media actions', () => {
  test('answer answers an unanswered incoming call, and only that', async () => {
    const h = new EngineHarness();
    await h.ended(await h.startCall([act(1, 'answer')], { id: 'ringing', status: 'ringing' }));
    await h.ended(await h.startCall([act(1, 'answer')], { id: 'answered' }));
    assert.deepEqual(
      h.calls.log.filter((l) => l.startsWith('answer')),
      ['answer ringing'],
    );
  });

  test('talk answers first, speaks with its options and moves on when played', async () => {
    const h = new EngineHarness();
    h.calls.blocking.add('talk');
    const id = await h.startCall(
      [
        act(1, 'talk', { text: 'Hallo', language: 'de-DE', gender: 'female' }),
        act(2, 'variable_set', { key: 'after', value: 'ran' }),
      ],
      { status: 'ringing' },
    );
    await waitFor(() => h.calls.running('talk').length === 1);
    assert.deepEqual(h.calls.log.slice(0, 2), ['answer call-1', 'talk call-1']);
    assert.deepEqual(h.calls.running('talk')[0]?.args, { text: 'Hallo', language: 'de-DE', gender: 'female' });
    assert.equal((await h.activeflow(id)).variables['after'], undefined, 'waits while speaking');
    h.calls.running('talk')[0]?.finish();
    assert.equal((await h.ended(id)).variables['after'], 'ran');
  });

  test('talk async moves on at once while the speech plays', async () => {
    const h = new EngineHarness();
    h.calls.blocking.add('talk');
    const id = await h.startCall([
      act(1, 'talk', { text: 'hold on', async: true }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
      act(3, 'sleep', { duration: 10 }),
    ]);
    await waitFor(() => h.store.rows.get(id)?.variables['after'] === 'ran');
    assert.equal(h.calls.running('talk').length, 1);
    await waitFor(() => h.clock.pending > 0);
    h.clock.advance(10);
    await h.ended(id);
    assert.equal(h.calls.running('talk').length, 0, 'the flow end stops the background speech');
  });

  test('talk with digits_handle next stops on a DTMF, which stays for digits_receive', async () => {
    const h = new EngineHarness();
    h.calls.blocking.add('talk');
    const id = await h.startCall([
      act(1, 'talk', { text: 'press 1', digits_handle: 'next' }),
      act(2, 'digits_receive', { length: 1 }),
    ]);
    await waitFor(() => h.calls.running('talk').length === 1);
    h.calls.pressDigit('call-1', '1');
    const af = await h.ended(id);
    assert.ok(h.calls.ops.find((o) => o.op === 'talk')?.aborted, 'the speech was stopped');
    assert.equal(af.variables['voipbin.call.digits'], '1');
  });

  test('play, beep, digits_send and echo drive the call', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'play', { stream_urls: ['https://m.test/a.wav', 'https://m.test/b.mp3'] }),
      act(2, 'beep'),
      act(3, 'digits_send', { digits: '12#', duration: 200 }),
      act(4, 'echo', { duration: 3000 }),
    ]);
    await waitFor(() => h.calls.running('echo').length === 1 && h.clock.pending > 0);
    assert.deepEqual(h.calls.ops.find((o) => o.op === 'play')?.args, ['https://m.test/a.wav', 'https://m.test/b.mp3']);
    assert.deepEqual(h.calls.ops.find((o) => o.op === 'sendDigits')?.args, {
      digits: '12#',
      durationMs: 200,
      intervalMs: 100,
    });
    h.clock.advance(2999);
    await waitFor(() => false, '', 20).catch(() => undefined);
    assert.equal(h.calls.running('echo').length, 1, 'echo lasts its duration');
    h.clock.advance(1);
    await h.ended(id);
    assert.equal(h.calls.running('echo').length, 0);
    assert.deepEqual(
      h.calls.log.filter((l) => !l.startsWith('answer')),
      ['play call-1', 'beep call-1', 'sendDigits call-1', 'echo call-1'],
    );
  });

  test('recording_start beeps first when asked and passes its options; recording_stop stops', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'recording_start', { beep_start: true, end_of_key: '#', duration: 60 }),
      act(2, 'recording_stop'),
    ]);
    await h.ended(id);
    assert.deepEqual(h.calls.log, [
      'beep call-1',
      `recordingStart call-1 {"format":"wav","end_of_key":"#","duration":60,"activeflow_id":"${id}"}`,
      'recordingStop call-1',
    ]);
  });

  test('sleep waits its duration on the clock', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'sleep', { duration: 1500 }),
      act(2, 'variable_set', { key: 'after', value: 'ran' }),
    ]);
    await waitFor(() => h.clock.pending > 0);
    h.clock.advance(1499);
    await waitFor(() => false, '', 20).catch(() => undefined);
    assert.equal(h.store.rows.get(id)?.status, 'running');
    h.clock.advance(1);
    assert.equal((await h.ended(id)).variables['after'], 'ran');
  });

  test('hangup hangs up with its reason and ends the flow', async () => {
    const h = new EngineHarness();
    const af = await h.ended(
      await h.startCall([act(1, 'hangup', { reason: 'busy' }), act(2, 'variable_set', { key: 'after', value: 'ran' })]),
    );
    assert.deepEqual(h.calls.log, ['hangup call-1 busy']);
    assert.equal(af.variables['after'], undefined);
  });

  test('stop ends the flow and the call side is told', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'stop'), act(2, 'variable_set', { key: 'after', value: 'ran' })]);
    const af = await h.ended(id);
    assert.equal(af.variables['after'], undefined);
    assert.deepEqual(h.calls.flowEndedCalls, [`call-1 ${id}`]);
  });

  test('conference_join waits until the call leaves the conference', async () => {
    const h = new EngineHarness();
    const conferenceId = '33333333-3333-4333-8333-333333333333';
    const id = await h.startCall(
      [
        act(1, 'conference_join', { conference_id: conferenceId }),
        act(2, 'variable_set', { key: 'after', value: 'ran' }),
      ],
      { status: 'ringing' },
    );
    await waitFor(() => h.conferences.joined.length === 1);
    assert.equal(h.conferences.joined[0]?.conferenceId, conferenceId);
    assert.deepEqual(h.calls.log, ['answer call-1']);
    h.conferences.joined[0]?.leave();
    assert.equal((await h.ended(id)).variables['after'], 'ran');
  });
});

describe('digits_receive', () => {
  const receive = (option: Record<string, unknown>) => [
    act(11, 'digits_receive', option),
    act(12, 'variable_set', { key: 'got', value: '${voipbin.call.digits}' }),
  ];

  test('ends after length digits', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(receive({ length: 3, duration: 10_000 }));
    await waitFor(() => h.clock.pending > 0);
    for (const d of '1234') h.calls.pressDigit('call-1', d);
    assert.equal((await h.ended(id)).variables['got'], '123');
  });

  test('ends at a terminator, which is kept in the digits as VoIPBIN does', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(receive({ key: '#*', duration: 10_000 }));
    await waitFor(() => h.clock.pending > 0);
    for (const d of '42#7') h.calls.pressDigit('call-1', d);
    assert.equal((await h.ended(id)).variables['got'], '42#');
  });

  test('ends after duration with what was collected', async () => {
    const h = new EngineHarness();
    const id = await h.startCall(receive({ length: 4, duration: 3000 }));
    await waitFor(() => h.clock.pending > 0);
    h.calls.pressDigit('call-1', '9');
    h.clock.advance(3000);
    const af = await h.ended(id);
    assert.equal(af.variables['got'], '9');
    assert.equal(af.executed_actions[0]?.error, undefined, 'a timeout is not an error');
  });

  test('digits pressed before the action started count', async () => {
    const h = new EngineHarness();
    h.calls.blocking.add('play');
    const id = await h.startCall([
      act(1, 'play', { stream_urls: ['https://m.test/menu.wav'] }),
      ...receive({ length: 2 }),
    ]);
    await waitFor(() => h.calls.running('play').length === 1);
    h.calls.pressDigit('call-1', '5');
    h.calls.pressDigit('call-1', '6');
    h.calls.running('play')[0]?.finish();
    assert.equal((await h.ended(id)).variables['got'], '56');
  });
});
