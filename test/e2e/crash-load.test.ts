import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCrashLoad } from '../support/crash-load.ts';

// The short form of bench/crash-load.ts (docs/benchmarks.md "Crash under load").
describe('crash under load: kill -9 while calls flow loses nothing', () => {
  it('every event of every call and activeflow, answered to the caller or the API, is delivered at least once and in seq order across a SIGKILL and restart', async () => {
    const r = await runCrashLoad({
      ratePerSec: 60,
      beforeKillMs: 3_000,
      afterKillMs: 2_000,
      apiPerSec: 10,
      tripwirePerSec: 20,
      sippRecvTimeoutMs: 8_000,
    });
    assert.deepEqual(r.problems, [], 'no loss, no disorder, nothing told that is not stored');
    assert.ok(r.answeredBeforeKill > 0, 'the caller saw calls answered before the kill');
    assert.ok(r.apiCallsBeforeKill > 0, 'POST /v1.0/calls answered before the kill');
    assert.ok(r.endedByRestart > 0, 'calls were live at the kill and the restart ended them');
    assert.ok(r.activeflows > 0, 'activeflows were checked too');
    assert.ok(r.eventsStored > r.calls, 'several events per call');
    assert.equal(r.restartExitCode, 0, 'the restarted callbin stops cleanly on SIGTERM');
  });
});
