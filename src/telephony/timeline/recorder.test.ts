import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadConfig } from '../../config/index.ts';
import { FakeClock, NIL_UUID, silentLogger } from '../../shared/index.ts';
import type { NewTimelineEntry, TimelineEntry } from '../../timeline/index.ts';
import { noTimeline } from '../../timeline/index.ts';
import { flowStepTimeline } from './flow-entries.ts';
import { BufferedTimeline, TIMELINE_DROPPED_CODE, type TimelineLimits, type TimelineSink } from './recorder.ts';
import { recordCallStatus } from './status-entries.ts';

const CUSTOMER = '11111111-1111-4111-8111-111111111111';
const CALL_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const CALL_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The store's side of the recorder: keeps each batch it is handed; can be told to fail. */
class BatchSink implements TimelineSink {
  readonly batches: TimelineEntry[][] = [];
  failing = false;

  async insert(entries: readonly TimelineEntry[]): Promise<void> {
    if (this.failing) throw new Error('store down');
    this.batches.push([...entries]);
  }

  get entries(): TimelineEntry[] {
    return this.batches.flat();
  }
}

function entry(callId: string, summary: string, more: Partial<NewTimelineEntry> = {}): NewTimelineEntry {
  return { customer_id: CUSTOMER, call_id: callId, kind: 'media', summary, ...more };
}

function recorder(limits: Partial<TimelineLimits> = {}) {
  const clock = new FakeClock(Date.UTC(2026, 2, 1, 12, 0, 0, 0));
  const sink = new BatchSink();
  const timeline = new BufferedTimeline({ sink, clock, logger: silentLogger, limits });
  return { clock, sink, timeline };
}

describe('timeline recorder', () => {
  it('gives each entry a time-ordered id, the clock time and a rising seq, and fills the unset subject ids', async () => {
    const { clock, sink, timeline } = recorder();
    timeline.record(entry(CALL_A, 'first'));
    clock.advance(5);
    timeline.record(entry(CALL_A, 'second', { data: { leg_id: 'x' } }));
    timeline.record(entry(CALL_A, 'earlier', { atMs: clock.now() - 1000 }));
    await timeline.flush();
    const [first, second, earlier] = sink.entries;
    assert.ok(first && second && earlier);
    for (const e of sink.entries) assert.match(e.id, UUID_V7);
    assert.deepEqual(
      sink.entries.map((e) => [e.summary, e.tm, e.seq]),
      [
        ['first', '2026-03-01T12:00:00.000Z', 1],
        ['second', '2026-03-01T12:00:00.005Z', 2],
        ['earlier', '2026-03-01T11:59:59.005Z', 3],
      ],
    );
    assert.ok(first.id < second.id, 'ids follow time');
    assert.equal(first.activeflow_id, NIL_UUID);
    assert.equal(first.conference_id, NIL_UUID);
    assert.deepEqual(first.data, {});
    assert.deepEqual(second.data, { leg_id: 'x' });
  });

  it('flushes everything waiting in one batch once flushMs passed, not before', async () => {
    const { clock, sink, timeline } = recorder({ flushMs: 100, batchSize: 50 });
    for (let i = 0; i < 10; i++) timeline.record(entry(CALL_A, `e${i}`));
    clock.advance(99);
    await nextTurn();
    assert.equal(sink.batches.length, 0, 'nothing is written before the flush interval');
    clock.advance(1);
    await nextTurn();
    assert.deepEqual(
      sink.batches.map((b) => b.length),
      [10],
      'one batch',
    );
    assert.equal(timeline.stats.written, 10);
  });

  it('writes a call that ended with the next batch, not at once (a write per hangup would join a commit per call)', async () => {
    const { clock, sink, timeline } = recorder();
    assert.equal(timeline.limits.flushMs, 1000, 'the default interval');
    timeline.record(entry(CALL_A, 'a1'));
    timeline.record(entry(CALL_B, 'b1'));
    timeline.end(CALL_A);
    clock.advance(500);
    await nextTurn();
    await nextTurn();
    assert.equal(sink.batches.length, 0, 'the end of call A wrote nothing by itself');
    timeline.end(CALL_B);
    clock.advance(500);
    await nextTurn();
    assert.deepEqual(
      sink.batches.map((b) => b.map((e) => e.summary)),
      [['a1', 'b1']],
      'both calls in the one batch of the interval',
    );
  });

  it('starts a flush as soon as batchSize entries wait, and writes at most batchSize a batch', async () => {
    const { sink, timeline } = recorder({ flushMs: 60_000, batchSize: 4 });
    for (let i = 0; i < 9; i++) timeline.record(entry(i % 2 ? CALL_A : CALL_B, `e${i}`));
    // No clock moves: the batch size alone starts the flushes.
    for (let i = 0; i < 5 && sink.entries.length < 8; i++) await nextTurn();
    assert.deepEqual(
      sink.batches.map((b) => b.length),
      [4, 4],
    );
    await timeline.flush();
    assert.deepEqual(
      sink.batches.map((b) => b.length),
      [4, 4, 1],
    );
    assert.deepEqual(
      sink.entries.map((e) => e.seq),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
      'seq order is kept across batches',
    );
  });

  it('keeps maxPerCall entries of a call and writes one error entry counting the dropped ones when the call ends', async () => {
    const { clock, sink, timeline } = recorder({ maxPerCall: 5 });
    for (let i = 0; i < 8; i++) {
      timeline.record(entry(CALL_A, `a${i}`));
      clock.advance(1);
    }
    timeline.record(entry(CALL_B, 'b0'));
    timeline.end(CALL_A);
    await timeline.flush();
    const ofA = sink.entries.filter((e) => e.call_id === CALL_A);
    assert.deepEqual(ofA.map((e) => e.summary).slice(0, 5), ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.equal(ofA.length, 6);
    const dropped = ofA[5];
    assert.ok(dropped);
    assert.equal(dropped.kind, 'error');
    assert.equal(dropped.data.code, TIMELINE_DROPPED_CODE);
    assert.equal(dropped.data.dropped, 3);
    assert.equal(dropped.tm, '2026-03-01T12:00:00.005Z', 'it stands where the entries stopped');
    assert.deepEqual(
      sink.entries.filter((e) => e.call_id === CALL_B).map((e) => e.summary),
      ['b0'],
      'another call keeps its own count',
    );
    assert.equal(timeline.stats.dropped, 3);
    assert.equal(timeline.stats.tracked, 1, 'the ended call is forgotten');
  });

  it('drops new entries over maxPending (all calls together) and counts them per call', async () => {
    const { sink, timeline } = recorder({ maxPending: 3, batchSize: 100 });
    timeline.record(entry(CALL_A, 'a0'));
    timeline.record(entry(CALL_B, 'b0'));
    timeline.record(entry(CALL_B, 'b1'));
    timeline.record(entry(CALL_A, 'a1'));
    timeline.record(entry(CALL_A, 'a2'));
    assert.equal(timeline.stats.pending, 3);
    assert.equal(timeline.stats.dropped, 2);
    await timeline.close();
    const errors = sink.entries.filter((e) => e.kind === 'error');
    assert.deepEqual(
      errors.map((e) => [e.call_id, e.data.dropped]),
      [[CALL_A, 2]],
    );
    timeline.record(entry(CALL_A, 'after close'));
    await timeline.flush();
    assert.ok(!sink.entries.some((e) => e.summary === 'after close'), 'a closed recorder records nothing');
  });

  it('counts a batch the store refused as dropped and goes on with the next one', async () => {
    const { sink, timeline } = recorder();
    sink.failing = true;
    timeline.record(entry(CALL_A, 'lost'));
    await timeline.flush();
    sink.failing = false;
    timeline.record(entry(CALL_A, 'kept'));
    await timeline.flush();
    assert.deepEqual(
      sink.entries.map((e) => e.summary),
      ['kept'],
    );
    assert.equal(timeline.stats.dropped, 1);
  });

  it('is off with CALLBIN_TIMELINE=0: the producers record nothing and subscribe to nothing', () => {
    assert.equal(loadConfig({}).timeline, true);
    assert.equal(loadConfig({ CALLBIN_TIMELINE: '0' }).timeline, false);
    assert.equal(noTimeline.enabled, false);
    assert.equal(flowStepTimeline(noTimeline), undefined);
    let subscribed = 0;
    recordCallStatus(
      {
        onEvent: () => {
          subscribed++;
          return () => undefined;
        },
      },
      noTimeline,
    );
    assert.equal(subscribed, 0);
  });
});
