import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus } from '../bus/index.ts';
import { FakeClock, NIL_UUID, silentLogger } from '../shared/index.ts';
import { BufferedTimeline } from '../telephony/index.ts';
import type { TimelineEntry } from '../timeline/index.ts';
import {
  ClusterTimeline,
  TIMELINE_FLUSH_TIMEOUT_MS,
  nodeTimelineSubject,
  serveTimelineFlush,
} from './remote-timeline.ts';

const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';
const CALL_A = 'ca000000-0000-4000-8000-00000000000a';
const CALL_B = 'cb000000-0000-4000-8000-00000000000b';
const FLOW_A = 'fa000000-0000-4000-8000-00000000000a';
const ROOM_A = 'ra000000-0000-4000-8000-00000000000a';

/** One node's recorder over its own list of stored entries; it writes only when flushed (1 h interval). */
function recorderOf(clock: FakeClock) {
  const stored: TimelineEntry[] = [];
  const recorder = new BufferedTimeline({
    sink: { insert: async (rows) => void stored.push(...rows) },
    clock,
    logger: silentLogger,
    limits: { flushMs: 3_600_000 },
  });
  const record = (callId: string, summary: string) =>
    recorder.record({ customer_id: CUSTOMER, call_id: callId, kind: 'status', summary });
  return { recorder, stored, record };
}

/**
 * Node `a` runs CALL_A, FLOW_A and ROOM_A and serves flush requests; node `b` gets the reads. The
 * owner lookups stand for the rows' `node_id` in the shared store.
 */
function twoNodes(opts: { serveA?: boolean } = {}) {
  const broker = new InProcessBroker();
  const clock = new FakeClock();
  const a = recorderOf(clock);
  const b = recorderOf(clock);
  const stopA =
    opts.serveA === false
      ? () => undefined
      : serveTimelineFlush(new InProcessBus({ broker }), 'a', a.recorder, silentLogger);
  const owners = new Map([
    [CALL_A, 'a'],
    [FLOW_A, 'a'],
    [ROOM_A, 'a'],
    [CALL_B, 'b'],
  ]);
  const lookups: string[] = [];
  const owner = { ownerOf: async (id: string) => (lookups.push(id), owners.get(id)) };
  const timeline = new ClusterTimeline({
    nodeId: 'b',
    bus: new InProcessBus({ broker, clock }),
    local: b.recorder,
    calls: owner,
    activeflows: owner,
    conferences: owner,
    logger: silentLogger,
  });
  return { broker, clock, a, b, timeline, lookups, stopA };
}

describe('cluster: a timeline read asks the node that runs the subject to write its entries', () => {
  it("a read through b of a's call, activeflow or conference finds what a holds, and what b holds", async () => {
    const { a, b, timeline, lookups, stopA } = twoNodes();
    for (const kind of ['call', 'activeflow', 'conference'] as const) {
      a.record(CALL_A, `on a before the ${kind} read`);
      b.record(CALL_A, `on b before the ${kind} read`);
      const id = kind === 'call' ? CALL_A : kind === 'activeflow' ? FLOW_A : ROOM_A;
      await timeline.flush({ kind, id });
      assert.deepEqual(
        a.stored.map((e) => e.summary).at(-1),
        `on a before the ${kind} read`,
        `${kind}: a wrote its buffer`,
      );
      assert.equal(b.stored.at(-1)?.summary, `on b before the ${kind} read`, `${kind}: b wrote its own too`);
    }
    assert.deepEqual(lookups, [CALL_A, FLOW_A, ROOM_A]);
    assert.equal(a.stored.length, 3);
    assert.equal(a.stored[0]?.call_id, CALL_A);
    stopA();
  });

  it('asks nobody for a subject of this node, of no known node or for a read without a subject', async () => {
    const { broker, a, b, timeline, stopA } = twoNodes({ serveA: false });
    let asked = 0;
    const stop = new InProcessBus({ broker }).serve(nodeTimelineSubject('a'), async () => {
      asked++;
      return 'flushed';
    });
    a.record(CALL_A, 'held on a');
    b.record(CALL_B, 'held on b');
    await timeline.flush({ kind: 'call', id: CALL_B });
    await timeline.flush({ kind: 'call', id: 'unknown' });
    await timeline.flush();
    assert.equal(asked, 0);
    assert.deepEqual(
      b.stored.map((e) => e.summary),
      ['held on b'],
    );
    assert.equal(a.stored.length, 0);
    stop();
    stopA();
  });

  it('the request carries nothing: no customer, no id', async () => {
    const { broker, timeline, stopA } = twoNodes({ serveA: false });
    const seen: string[] = [];
    const stop = new InProcessBus({ broker }).serve(nodeTimelineSubject('a'), async (data) => {
      seen.push(data);
      return 'flushed';
    });
    await timeline.flush({ kind: 'call', id: CALL_A });
    assert.deepEqual(seen, ['']);
    stop();
    stopA();
  });

  it('a dead node (nobody serves its subject) is not waited for: the read goes on with what is stored', async () => {
    const { b, timeline, stopA } = twoNodes({ serveA: false });
    b.record(CALL_A, 'held on b');
    await timeline.flush({ kind: 'call', id: CALL_A });
    assert.deepEqual(
      b.stored.map((e) => e.summary),
      ['held on b'],
    );
    stopA();
  });

  it(`a node that does not answer is given up after ${TIMELINE_FLUSH_TIMEOUT_MS} ms`, async () => {
    const { broker, clock, b, timeline, stopA } = twoNodes({ serveA: false });
    const stop = new InProcessBus({ broker }).serve(nodeTimelineSubject('a'), () => new Promise<string>(() => {}));
    b.record(CALL_A, 'held on b');
    let done = false;
    const read = timeline.flush({ kind: 'call', id: CALL_A }).then(() => (done = true));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    clock.advance(TIMELINE_FLUSH_TIMEOUT_MS - 1);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'still waiting just before the deadline');
    clock.advance(1);
    await read;
    assert.equal(b.stored[0]?.summary, 'held on b');
    assert.equal(b.stored[0]?.conference_id, NIL_UUID);
    stop();
    stopA();
  });
});
