import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LegQuality } from '../../media/index.ts';
import { FakeClock } from '../../shared/index.ts';
import type { NewTimelineEntry, TimelineRecorder } from '../../timeline/index.ts';
import { CallQuality, type QualityLeg } from './call-quality.ts';

const figures = (received: number): LegQuality => ({
  codec: 'PCMU',
  packets_sent: 250,
  packets_received: received,
  bytes_sent: 43_000,
  bytes_received: received * 172,
  packets_lost: 0,
  loss_pct: 0,
  jitter_ms: 0.5,
  rtt_ms: null,
  late: 0,
  discarded: 0,
  mos: 4.41,
});

class Entries implements TimelineRecorder {
  readonly enabled = true;
  readonly all: NewTimelineEntry[] = [];
  record(entry: NewTimelineEntry): void {
    this.all.push(entry);
  }
}

const flush = () => new Promise((r) => setImmediate(r));

describe('CallQuality: figures at hangup and a timeline sample per leg every 5 s', () => {
  it('samples every leg of a known call every interval, with its customer', async () => {
    const clock = new FakeClock();
    const timeline = new Entries();
    const quality = new CallQuality({
      clock,
      timeline,
      customerOf: async (callId) => (callId === 'call-1' ? 'customer-1' : undefined),
    });
    let received = 100;
    const legs: QualityLeg[] = [
      { legId: 'leg-a', callId: 'call-1', quality: () => figures(received) },
      { legId: 'leg-b', callId: undefined, quality: () => figures(1) },
      { legId: 'leg-c', callId: 'call-unknown', quality: () => figures(1) },
    ];
    quality.start(() => legs);
    clock.advance(4999);
    await flush();
    assert.equal(timeline.all.length, 0);
    clock.advance(1);
    await flush();
    received = 350;
    clock.advance(5000);
    await flush();
    assert.equal(timeline.all.length, 2, 'one leg of a known call, twice');
    const [first, second] = timeline.all;
    assert.equal(first?.kind, 'quality');
    assert.equal(first?.customer_id, 'customer-1');
    assert.equal(first?.call_id, 'call-1');
    assert.deepEqual(first?.data, { leg_id: 'leg-a', ...figures(100) });
    assert.equal(second?.data?.packets_received, 350);
    assert.match(second?.summary ?? '', /^PCMU sent 250 \/ received 350, 0% lost, jitter 0.5 ms, MOS 4.41$/);
    quality.close();
    clock.advance(20_000);
    await flush();
    assert.equal(timeline.all.length, 2, 'closed: no more samples');
  });

  it('a leg released before the hangup is kept for it; the hangup takes it with the legs still up, once', () => {
    const quality = new CallQuality({ clock: new FakeClock() });
    quality.released({ legId: 'early', callId: 'call-2', quality: () => figures(10) });
    quality.released({ legId: 'nobody', callId: undefined, quality: () => figures(1) });
    const live: QualityLeg[] = [
      { legId: 'up', callId: 'call-2', quality: () => figures(20) },
      { legId: 'other', callId: 'call-3', quality: () => figures(30) },
    ];
    assert.deepEqual(
      quality.take('call-2', live).map((q) => [q.leg_id, q.packets_received]),
      [
        ['early', 10],
        ['up', 20],
      ],
    );
    assert.deepEqual(
      quality.take('call-2', []).map((q) => q.leg_id),
      [],
      'taken once',
    );
  });

  it('without a timeline nothing is scheduled', () => {
    const clock = new FakeClock();
    const quality = new CallQuality({ clock, customerOf: async () => 'c' });
    quality.start(() => []);
    assert.equal(clock.pending, 0);
  });
});
