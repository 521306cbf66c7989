import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { audio } from '../../media/testing/speech-audio.ts';
import { act } from '../testing/action-ids.ts';
import { EngineHarness } from '../testing/engine-harness.ts';
import { waitFor } from '../testing/fake-ports.ts';

describe('amd action', () => {
  test('sets voipbin.amd.result and hangs up a machine with reason amd', async () => {
    const h = new EngineHarness();
    h.calls.addCall({ id: 'out-1', direction: 'outgoing' });
    h.calls.audio.set('out-1', audio([['speech', 3000]]));
    const af = await h.ended(
      await h.startCall(
        [act(1, 'amd', { machine_handle: 'hangup' }), act(2, 'variable_set', { key: 'after', value: 'ran' })],
        { id: 'out-1' },
      ),
    );
    assert.equal(af.variables['voipbin.amd.result'], 'MACHINE');
    assert.ok(h.calls.log.includes('hangup out-1 amd'));
    assert.equal(af.variables['after'], undefined);
  });

  test('a human continues the flow', async () => {
    const h = new EngineHarness();
    h.calls.audio.set(
      'call-1',
      audio([
        ['speech', 500],
        ['silence', 1500],
      ]),
    );
    const af = await h.ended(
      await h.startCall([
        act(1, 'amd', { machine_handle: 'hangup' }),
        act(2, 'variable_set', { key: 'after', value: '${voipbin.amd.result}' }),
      ]),
    );
    assert.equal(af.variables['after'], 'HUMAN');
    assert.ok(!h.calls.log.some((l) => l.startsWith('hangup')));
  });

  test('audio that stops coming ends NOTSURE after the wait; async moves on at once', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'amd', { async: true }),
      act(2, 'variable_set', { key: 'next', value: 'ran' }),
      act(3, 'sleep', { duration: 10_000 }),
    ]);
    await waitFor(() => h.store.rows.get(id)?.variables['next'] === 'ran', 'moved on');
    await waitFor(() => h.clock.pending === 2, 'amd wait and sleep timers');
    h.clock.advance(6000);
    await waitFor(() => h.store.rows.get(id) !== undefined && h.calls.ops.some((o) => o.op === 'audio' && o.done));
    h.clock.advance(4000);
    const af = await h.ended(id);
    assert.equal(af.variables['voipbin.amd.result'], 'NOTSURE');
  });
});
