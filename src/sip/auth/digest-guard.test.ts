import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../shared/index.ts';
import {
  DigestChallenger,
  DigestFailureLimiter,
  DigestGuard,
  FailureBudget,
  NonceCounts,
  digestAuthorization,
  digestHa1s,
} from './index.ts';
import type { DigestAttempt } from './index.ts';

const REALM = 'sip.test';
const HA1 = digestHa1s('alice', REALM, 'pw-1');

function setup() {
  const clock = new FakeClock();
  const challenger = new DigestChallenger({ secret: Buffer.from('k'), clock });
  const guard = new DigestGuard({ challenger, clock });
  const attempt = (source: string, password: string | undefined, offer?: string, nc = 1): DigestAttempt<string> => {
    const challenge = offer ?? guard.challenge(REALM, source, { algorithms: ['MD5'] })[0]!;
    const authorizations =
      password === undefined
        ? []
        : [
            digestAuthorization({
              challenge,
              method: 'INVITE',
              uri: 'sip:x@sip.test',
              username: 'alice',
              password,
              nc,
            }),
          ];
    return {
      method: 'INVITE',
      authorizations,
      realm: REALM,
      source,
      lookup: async (u) => (u === 'alice' ? { account: 'alice', key: 'ext-1', ha1: HA1 } : undefined),
    };
  };
  return { clock, guard, attempt };
}

describe('DigestGuard', () => {
  it('the account budget holds across sources; a source known for the account keeps its own', async () => {
    const { guard, attempt } = setup();
    assert.equal((await guard.authenticate(attempt('10.0.0.1', 'pw-1'))).kind, 'ok');
    for (let i = 0; i < 30; i++)
      assert.equal((await guard.authenticate(attempt(`10.0.1.${i % 5}`, `guess${i}`))).kind, 'refuse');
    assert.equal(guard.stats().evaluated, 21, 'one success and 20 guesses checked');
    assert.equal((await guard.authenticate(attempt('10.0.2.1', 'pw-1'))).kind, 'refuse', 'a new source is locked out');
    assert.equal((await guard.authenticate(attempt('10.0.0.1', 'pw-1'))).kind, 'ok', 'the known source is not');
  });

  it('a nonce-count is good once per nonce; a nonce from another source is foreign', async () => {
    const { guard, attempt } = setup();
    const offer = guard.challenge(REALM, '10.0.0.1', { algorithms: ['MD5'] })[0]!;
    assert.equal((await guard.authenticate(attempt('10.0.0.1', 'pw-1', offer, 1))).kind, 'ok');
    assert.deepEqual(await guard.authenticate(attempt('10.0.0.1', 'pw-1', offer, 1)), {
      kind: 'challenge',
      stale: true,
    });
    assert.equal((await guard.authenticate(attempt('10.0.0.1', 'pw-1', offer, 2))).kind, 'ok');
    assert.deepEqual(await guard.authenticate(attempt('10.0.0.9', 'pw-1', offer, 3)), {
      kind: 'challenge',
      stale: false,
    });
    assert.equal(guard.stats().foreign_nonce, 1);
  });
});

describe('FailureBudget, DigestFailureLimiter, NonceCounts', () => {
  it('blocks double on repeat, up to the cap, on the injected clock', () => {
    const clock = new FakeClock();
    const budget = new FailureBudget(clock, {
      maxFailures: 2,
      windowMs: 1000,
      blockMs: 100,
      maxBlockMs: 350,
      maxKeys: 10,
    });
    const block = (): number => {
      budget.fail('k');
      budget.fail('k');
      return budget.blockedFor('k');
    };
    assert.deepEqual(
      [block(), (clock.advance(100), block()), (clock.advance(200), block()), (clock.advance(350), block())],
      [100, 200, 350, 350],
    );
  });

  it('a full table fails closed for new keys until old ones can go', () => {
    const clock = new FakeClock();
    const budget = new FailureBudget(clock, {
      maxFailures: 5,
      windowMs: 1000,
      blockMs: 100,
      maxBlockMs: 100,
      maxKeys: 2,
    });
    budget.fail('a');
    budget.fail('b');
    assert.ok(budget.blockedFor('c') > 0);
    clock.advance(1101);
    assert.equal(budget.blockedFor('c'), 0);
    assert.equal(budget.size, 0);
  });

  it("failures of a known source count on its own budget, not the account's", () => {
    const limiter = new DigestFailureLimiter(new FakeClock());
    limiter.recordSuccess('acct', 'home');
    for (let i = 0; i < 20; i++) limiter.recordFailure('acct', 'home');
    assert.equal(limiter.blocked('acct', 'home'), 'known_source');
    assert.equal(limiter.blocked('acct', 'elsewhere'), undefined);
  });

  it('remembers a bounded number of nonces; evicted ones count as used', () => {
    const counts = new NonceCounts({ maxNonces: 100, window: 4 });
    for (let i = 0; i < 150; i++) assert.ok(counts.use(`n${i}`, 1, i, 10_000, 0));
    assert.ok(counts.size <= 100);
    assert.equal(counts.use('n0', 2, 0, 10_000, 0), false, 'evicted: refused, the client gets a fresh nonce');
    assert.ok(counts.use('n149', 2, 149, 10_000, 0));
    for (const nc of [3, 4, 5, 6]) assert.ok(counts.use('n149', nc, 149, 10_000, 0));
    assert.equal(counts.use('n149', 1, 149, 10_000, 0), false, 'below the window');
  });
});
