import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, silentLogger } from '../shared/index.ts';
import { NodeDrain } from './node-drain.ts';
import type { DrainTarget } from './node-drain.ts';

/** A node with live calls by id: a call ends when the test says so, or when it is cut (unless `silent`). */
class TestNode implements DrainTarget {
  readonly live = new Set<string>();
  readonly cut: string[] = [];
  readonly silent = new Set<string>();
  refusing = false;
  closed = 0;
  readonly #listeners = new Set<() => void>();

  constructor(ids: string[]) {
    for (const id of ids) this.live.add(id);
  }

  refuseNewCalls(): void {
    this.refusing = true;
  }
  liveCallIds(): readonly string[] {
    return [...this.live];
  }
  onCallChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async cutCall(id: string): Promise<void> {
    this.cut.push(id);
    if (!this.silent.has(id)) this.end(id);
  }
  async close(): Promise<void> {
    this.closed++;
  }
  /** The call hangs up: its event first, then it leaves the live set (as the call service does). */
  end(id: string): void {
    for (const l of this.#listeners) l();
    this.live.delete(id);
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function start(node: TestNode, drainSeconds = 30): { clock: FakeClock; drain: NodeDrain } {
  const clock = new FakeClock();
  return { clock, drain: new NodeDrain({ clock, logger: silentLogger, drainSeconds, target: node }) };
}

describe('NodeDrain', () => {
  it('refuses new calls at once and closes as soon as the last live call ends, cutting nothing', async () => {
    const node = new TestNode(['a', 'b']);
    const { clock, drain } = start(node);
    let outcome: unknown;
    void drain.drain().then((o) => (outcome = o));
    assert.equal(node.refusing, true);
    assert.equal(drain.draining, true);
    node.end('a');
    clock.advance(0);
    await turn();
    assert.equal(node.closed, 0, 'one call is still live');
    node.end('b');
    clock.advance(0);
    await turn();
    assert.deepEqual(outcome, { finished: 2, cut: 0 });
    assert.equal(node.closed, 1);
    assert.deepEqual(node.cut, []);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  it('with no live call, closes at once', async () => {
    const node = new TestNode([]);
    const { drain } = start(node);
    assert.deepEqual(await drain.drain(), { finished: 0, cut: 0 });
    assert.equal(node.closed, 1);
  });

  it('at the deadline cuts the calls still live, then closes', async () => {
    const node = new TestNode(['a', 'b', 'c']);
    const { clock, drain } = start(node, 2);
    const done = drain.drain();
    node.end('a');
    clock.advance(1_999);
    await turn();
    assert.deepEqual(node.cut, []);
    clock.advance(1);
    await turn();
    clock.advance(0);
    assert.deepEqual(await done, { finished: 1, cut: 2 });
    assert.deepEqual(node.cut.sort(), ['b', 'c']);
    assert.equal(node.closed, 1);
  });

  it('a second drain() while waiting cuts now, by the same path as the deadline; both resolve together', async () => {
    const node = new TestNode(['a']);
    const { clock, drain } = start(node, 30);
    const first = drain.drain();
    const second = drain.drain();
    await turn();
    clock.advance(0);
    assert.deepEqual(await first, { finished: 0, cut: 1 });
    assert.equal(await second, await first);
    assert.deepEqual(node.cut, ['a']);
    assert.equal(node.closed, 1);
  });

  it('a cut call whose far end never answers the BYE gets the grace time, then the node closes anyway', async () => {
    const node = new TestNode(['a']);
    node.silent.add('a');
    const { clock, drain } = start(node, 1);
    const done = drain.drain();
    clock.advance(1_000);
    await turn();
    clock.advance(4_999);
    await turn();
    assert.equal(node.closed, 0, 'still within the grace time');
    clock.advance(1);
    assert.deepEqual(await done, { finished: 0, cut: 1 });
    assert.equal(node.closed, 1);
  });

  it('abandon() (the node closed another way) ends the wait without cutting or closing', async () => {
    const node = new TestNode(['a']);
    const { clock, drain } = start(node);
    const done = drain.drain();
    drain.abandon();
    assert.deepEqual(await done, { finished: 1, cut: 0 });
    assert.deepEqual(node.cut, []);
    assert.equal(node.closed, 0);
    assert.equal(clock.pending, 0);
  });
});
