import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { act } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

describe('echo and stream_echo send the caller its digits back', () => {
  for (const type of ['echo', 'stream_echo'] as const) {
    test(`${type}: each digit pressed while echoing is sent back once, as long as pressed; none after the echo`, async () => {
      const h = new EngineHarness();
      h.calls.blocking.add('sendDigits');
      const id = await h.startCall([act(1, type, { duration: 1000 })]);
      await waitFor(() => h.calls.running('echo').length === 1);
      h.calls.pressDigit('call-1', '1');
      h.calls.pressDigit('call-1', '#');
      const sent = () => h.calls.ops.filter((o) => o.op === 'sendDigits');
      await waitFor(() => sent().length === 2);
      assert.deepEqual(
        sent().map((o) => o.args),
        [
          { digits: '1', durationMs: 100, intervalMs: 0 },
          { digits: '#', durationMs: 100, intervalMs: 0 },
        ],
      );
      for (const op of sent()) op.finish();
      h.clock.advance(1000);
      await h.ended(id);
      h.calls.pressDigit('call-1', '2');
      assert.equal(sent().length, 2, 'nothing is echoed once the echo ended');
    });
  }

  test('a flood of digits waits at most 16 echoes; the rest are dropped, not queued', async () => {
    const h = new EngineHarness();
    h.calls.blocking.add('sendDigits');
    const id = await h.startCall([act(1, 'echo', { duration: 1000 })]);
    await waitFor(() => h.calls.running('echo').length === 1);
    for (let i = 0; i < 40; i++) h.calls.pressDigit('call-1', String(i % 10));
    await waitFor(() => h.calls.running('sendDigits').length === 16);
    await new Promise((r) => setImmediate(r));
    assert.equal(h.calls.ops.filter((o) => o.op === 'sendDigits').length, 16);
    for (const op of h.calls.running('sendDigits')) op.finish();
    await waitFor(() => h.calls.running('sendDigits').length === 0);
    await new Promise((r) => setImmediate(r));
    h.calls.pressDigit('call-1', '9');
    await waitFor(() => h.calls.running('sendDigits').length === 1);
    h.calls.running('sendDigits')[0]?.finish();
    h.clock.advance(1000);
    await h.ended(id);
  });
});
