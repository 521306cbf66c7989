import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BusError, type Bus, type BusErrorCode } from '../bus.ts';

/** Two connections to one bus (two nodes); the contract closes them. */
export interface BusPair {
  a: Bus;
  b: Bus;
}

/** Resolves when `check()` holds; fails after `ms` naming `what`. */
async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function rejectsWith(p: Promise<unknown>, code: BusErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof BusError, `a BusError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** The behaviour every {@link Bus} shares (docs/cluster.md "Bus"), run against each implementation. */
export function busContract(name: string, open: () => Promise<BusPair>): void {
  describe(`bus contract (${name})`, () => {
    let pair: BusPair;
    // Unique subjects per run: other test files may use the same NATS server at the same time.
    const prefix = `test${randomBytes(5).toString('hex')}`;
    let n = 0;
    const subject = (): string => `${prefix}.s${++n}`;
    before(async () => {
      pair = await open();
    });
    after(async () => {
      await pair?.a.close();
      await pair?.b.close();
    });

    it('a request reaches a server on the other connection and resolves with its reply', async () => {
      const s = subject();
      pair.b.serve(s, async (data, actual) => `${actual}:${data.toUpperCase()}`);
      await pair.b.flush();
      assert.equal(await pair.a.request(s, 'hello', 5_000), `${s}:HELLO`);
    });

    it('a request nobody serves rejects NO_RESPONDERS (not after the deadline)', async () => {
      await rejectsWith(pair.a.request(subject(), 'x', 60_000), 'NO_RESPONDERS');
    });

    it('a server that throws replies nothing: TIMEOUT, and it still serves the next request', async () => {
      const s = subject();
      let calls = 0;
      pair.b.serve(s, async (data) => {
        calls++;
        if (data === 'bad') throw new Error('handler fault');
        return 'good';
      });
      await pair.b.flush();
      await rejectsWith(pair.a.request(s, 'bad', 200), 'TIMEOUT');
      assert.equal(await pair.a.request(s, 'ok', 5_000), 'good');
      assert.equal(calls, 2);
    });

    it('wildcards: `*` is one token, `>` one or more', async () => {
      const root = subject();
      const star: string[] = [];
      const rest: string[] = [];
      pair.b.subscribe(`${root}.*.ping`, (_d, s) => star.push(s));
      pair.b.subscribe(`${root}.>`, (_d, s) => rest.push(s));
      pair.b.serve(`${root}.*.cmd`, async (d, s) => `${s}/${d}`);
      await pair.b.flush();
      for (const s of [`${root}.n1.ping`, `${root}.n1.x.ping`, `${root}.n2.ping`, `${root}.end`])
        pair.a.publish(s, 'x');
      assert.equal(await pair.a.request(`${root}.n7.cmd`, 'go', 5_000), `${root}.n7.cmd/go`);
      await rejectsWith(pair.a.request(`${root}x.n7.cmd`, 'go', 5_000), 'NO_RESPONDERS');
      await until(() => rest.length >= 5, 'the `>` subscriber');
      assert.deepEqual(star, [`${root}.n1.ping`, `${root}.n2.ping`]);
      assert.deepEqual(rest.slice(0, 4), [`${root}.n1.ping`, `${root}.n1.x.ping`, `${root}.n2.ping`, `${root}.end`]);
      assert.deepEqual(rest.slice(4), [`${root}.n7.cmd`], 'a request is a message to subscribers too');
    });

    it('a queue group: each request reaches one member; servers outside the group each get it', async () => {
      const s = subject();
      const hits = { q1: 0, q2: 0, solo: 0 };
      pair.a.serve(s, async () => ((hits.q1 += 1), 'q1'), { queue: 'workers' });
      pair.b.serve(s, async () => ((hits.q2 += 1), 'q2'), { queue: 'workers' });
      const stopSolo = pair.b.serve(s, async () => new Promise<string>(() => void (hits.solo += 1)));
      await pair.a.flush();
      await pair.b.flush();
      const replies = await Promise.all(Array.from({ length: 20 }, () => pair.a.request(s, 'x', 5_000)));
      assert.ok(replies.every((r) => r === 'q1' || r === 'q2'));
      await until(() => hits.solo === 20, 'the server outside the group');
      await pair.a.flush();
      await pair.b.flush();
      assert.equal(hits.q1 + hits.q2, 20, `one member per request: ${JSON.stringify(hits)}`);
      stopSolo();
    });

    it('publish reaches every subscriber in order; unsubscribe stops delivery', async () => {
      const s = subject();
      const first: string[] = [];
      const second: string[] = [];
      const off = pair.b.subscribe(s, (d) => first.push(d));
      pair.a.subscribe(s, (d) => second.push(d));
      await pair.a.flush();
      await pair.b.flush();
      const sent = Array.from({ length: 100 }, (_, i) => String(i));
      for (const d of sent) pair.a.publish(s, d);
      await until(() => first.length === 100 && second.length === 100, 'both subscribers');
      assert.deepEqual(first, sent);
      assert.deepEqual(second, sent, 'a connection hears its own messages');
      off();
      await pair.b.flush();
      pair.a.publish(s, 'after');
      await until(() => second.length === 101, 'the remaining subscriber');
      await pair.b.flush();
      assert.equal(first.length, 100);
    });

    it('a subscriber that throws is contained; the next message still arrives', async () => {
      const s = subject();
      const got: string[] = [];
      pair.b.subscribe(s, (d) => {
        got.push(d);
        if (d === 'bad') throw new Error('subscriber fault');
      });
      await pair.b.flush();
      pair.a.publish(s, 'bad');
      pair.a.publish(s, 'good');
      await until(() => got.length === 2, 'both messages');
      assert.deepEqual(got, ['bad', 'good']);
    });

    it('after close: a pending request rejects CLOSED, every operation refuses, close is idempotent', async () => {
      const extra = await open();
      await extra.b.close();
      const s = subject();
      extra.a.serve(s, () => new Promise<string>(() => undefined));
      await extra.a.flush();
      const pending = extra.a.request(s, 'x', 60_000);
      await new Promise((r) => setTimeout(r, 20));
      await extra.a.close();
      await extra.a.close();
      await rejectsWith(pending, 'CLOSED');
      await rejectsWith(extra.a.request(s, 'x', 1_000), 'CLOSED');
      assert.throws(
        () => extra.a.publish(s, 'x'),
        (e: unknown) => e instanceof BusError && e.code === 'CLOSED',
      );
      assert.throws(
        () => extra.a.subscribe(s, () => undefined),
        (e: unknown) => e instanceof BusError && e.code === 'CLOSED',
      );
    });

    it('a closed connection stops serving: requests to it get NO_RESPONDERS', async () => {
      const extra = await open();
      const s = subject();
      extra.b.serve(s, async () => 'here');
      await extra.b.flush();
      assert.equal(await extra.a.request(s, 'x', 5_000), 'here');
      await extra.b.close();
      await rejectsWith(extra.a.request(s, 'x', 60_000), 'NO_RESPONDERS');
      await extra.a.close();
    });
  });
}
