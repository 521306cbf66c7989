import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../shared/index.ts';
import { Retransmitter2xx } from './retransmitter-2xx.ts';

describe('Retransmitter2xx', () => {
  it('retransmits at T1 doubling to T2 and gives up at 64*T1', () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const at: number[] = [];
    let timedOut = false;
    const r = new Retransmitter2xx({
      clock,
      retransmit: () => at.push(clock.now() - t0),
      onTimeout: () => (timedOut = true),
    });
    clock.advance(31_999);
    assert.deepEqual(at, [500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.equal(timedOut, false);
    clock.advance(1);
    assert.equal(timedOut, true);
    assert.equal(r.active, false);
    assert.equal(clock.pending, 0);
  });

  it('stops on ack()', () => {
    const clock = new FakeClock();
    let count = 0;
    const r = new Retransmitter2xx({ clock, retransmit: () => (count += 1), t1Ms: 100 });
    clock.advance(350);
    r.ack();
    clock.advance(10_000);
    assert.equal(count, 2);
    assert.equal(clock.pending, 0);
  });
});
