import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { FakeClock } from '../shared/index.ts';
import { startTestApi, type TestApi } from '../../test/support/api.ts';
import { FailureLimiter } from './rate-limiter.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** One HTTP request to a listening server from the loopback address `from` (the whole 127/8 is loopback). */
function call(
  base: string,
  from: string,
  method: string,
  path: string,
  opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key !== undefined) headers.authorization = `Bearer ${opts.key}`;
  if (payload !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, localAddress: from },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A TestApi listening on loopback, on a FakeClock. */
async function listening(): Promise<{ api: TestApi; base: string; clock: FakeClock }> {
  const clock = new FakeClock(Date.now());
  const api = await startTestApi({ clock });
  const base = await api.app.listen({ host: '127.0.0.1', port: 0 });
  return { api, base, clock };
}

/** Run `fn` against a fresh listening TestApi, closed afterwards. */
async function withServer(fn: (s: { api: TestApi; base: string; clock: FakeClock }) => Promise<void>): Promise<void> {
  const s = await listening();
  try {
    await fn(s);
  } finally {
    await s.api.close();
  }
}

const login = (base: string, from: string, body: Record<string, string>) =>
  call(base, from, 'POST', '/v1.0/auth/login', { body });

describe('api abuse: failed API credentials are limited per source before any lookup', () => {
  let api: TestApi;
  let base: string;
  let clock: FakeClock;
  before(async () => ({ api, base, clock } = await listening()));
  after(async () => api.close());

  it('30 bad keys from one source: 20 are looked up (401), then 429 with Retry-After and no lookup', async () => {
    const good = await api.newCustomer('good');
    let lookups = 0;
    const keys = api.store.accesskeys;
    const original = keys.findByTokenHash.bind(keys);
    keys.findByTokenHash = (hash: string) => {
      lookups++;
      return original(hash);
    };
    const statuses: number[] = [];
    let last: Answer | undefined;
    for (let i = 0; i < 30; i++) {
      last = await call(base, '127.0.0.1', 'GET', '/v1.0/flows', { key: `vb_guess_${i}_${'x'.repeat(30)}` });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [...Array<number>(20).fill(401), ...Array<number>(10).fill(429)]);
    assert.equal(lookups, 20, 'the blocked attempts never reach the store');
    assert.equal(last?.body.error.status, 'RESOURCE_EXHAUSTED');
    assert.equal(last?.body.error.reason, 'TOO_MANY_FAILED_ATTEMPTS');
    assert.ok(Number(last?.headers['retry-after']) >= 1 && Number(last?.headers['retry-after']) <= 60);
    // Forged login tokens count the same way: the source stays blocked.
    assert.equal(
      (await call(base, '127.0.0.1', 'GET', '/v1.0/flows', { key: 'eyJhbGciOiJIUzI1NiJ9.e30.x' })).status,
      429,
    );

    // Within the window the check runs before any lookup, so a good key from that source is refused too...
    assert.equal((await call(base, '127.0.0.1', 'GET', '/v1.0/flows', { key: good.key })).status, 429);
    // ...while another source is unaffected...
    assert.equal((await call(base, '127.0.0.2', 'GET', '/v1.0/flows', { key: good.key })).status, 200);
    // ...and after the window the source may try again.
    clock.advance(61_000);
    assert.equal((await call(base, '127.0.0.1', 'GET', '/v1.0/flows', { key: good.key })).status, 200);
    keys.findByTokenHash = original;
  });
});

describe('api abuse: login', () => {
  it('is throttled per username (any source) and per source (any username)', async () => {
    await withServer(async ({ api, base, clock }) => {
      const a = await api.newCustomer('A');
      assert.equal(
        (
          await api.request('POST', '/v1.0/users', {
            key: a.key,
            body: { username: 'victim', password: 'right password' },
          })
        ).status,
        200,
      );
      for (let i = 0; i < 10; i++)
        assert.equal((await login(base, '127.0.0.3', { username: 'victim', password: `wrong ${i}` })).status, 401);
      const blocked = await login(base, '127.0.0.4', { username: 'victim', password: 'right password' });
      assert.equal(blocked.status, 429, 'the username is blocked from every source, even with the right password');
      assert.equal(blocked.body.error.reason, 'TOO_MANY_FAILED_ATTEMPTS');
      assert.ok(Number(blocked.headers['retry-after']) >= 1);

      // Per source: 20 failures over many usernames, then even an untried username is refused.
      for (let i = 0; i < 20; i++)
        assert.equal((await login(base, '127.0.0.5', { username: `spray${i}`, password: 'guess' })).status, 401);
      assert.equal((await login(base, '127.0.0.5', { username: 'fresh', password: 'guess' })).status, 429);

      clock.advance(10 * 60_000 + 1000);
      assert.equal((await login(base, '127.0.0.4', { username: 'victim', password: 'right password' })).status, 200);
    });
  });

  it('an unknown username takes as long as a known one (the same scrypt runs)', async () => {
    await withServer(async ({ api, base }) => {
      const a = await api.newCustomer('A');
      assert.equal(
        (
          await api.request('POST', '/v1.0/users', {
            key: a.key,
            body: { username: 'known', password: 'right password' },
          })
        ).status,
        200,
      );
      const timed = async (username: string): Promise<number> => {
        const t0 = performance.now();
        assert.equal((await login(base, '127.0.0.6', { username, password: 'wrong password' })).status, 401);
        return performance.now() - t0;
      };
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await timed('known'));
        unknown.push(await timed(`nobody${i}`));
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[2] as number;
      // Before, an unknown name answered in ~1 ms against ~35 ms; a generous margin for a busy machine.
      assert.ok(
        median(unknown) > 0.4 * median(known),
        `unknown ${median(unknown).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms`,
      );
    });
  });

  it('a password change refuses the old login token at once', async () => {
    await withServer(async ({ api, base }) => {
      const a = await api.newCustomer('A');
      const user = await api.request('POST', '/v1.0/users', {
        key: a.key,
        body: { username: 'rotator', password: 'first password' },
      });
      const old = await login(base, '127.0.0.7', { username: 'rotator', password: 'first password' });
      assert.equal(old.status, 200);
      assert.equal((await call(base, '127.0.0.7', 'GET', '/v1.0/customer', { key: old.body.token })).status, 200);
      const changed = await call(base, '127.0.0.7', 'PUT', `/v1.0/users/${user.body.id}`, {
        key: a.key,
        body: { password: 'second password' },
      });
      assert.equal(changed.status, 200);
      const refused = await call(base, '127.0.0.7', 'GET', '/v1.0/customer', { key: old.body.token });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.reason, 'INVALID_CREDENTIALS');
      assert.equal((await login(base, '127.0.0.7', { username: 'rotator', password: 'first password' })).status, 401);
      const fresh = await login(base, '127.0.0.7', { username: 'rotator', password: 'second password' });
      assert.equal((await call(base, '127.0.0.7', 'GET', '/v1.0/customer', { key: fresh.body.token })).status, 200);
    });
  });

  it('the same username in two customers: both are created (no 409 reveals it) and both log in', async () => {
    await withServer(async ({ api, base }) => {
      const a = await api.newCustomer('A');
      const b = await api.newCustomer('B');
      assert.equal(
        (await api.request('POST', '/v1.0/users', { key: a.key, body: { username: 'sam', password: 'password of a' } }))
          .status,
        200,
      );
      const second = await api.request('POST', '/v1.0/users', {
        key: b.key,
        body: { username: 'sam', password: 'password of b' },
      });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(
        (
          await api.request('POST', '/v1.0/users', {
            key: b.key,
            body: { username: 'sam', password: 'another password' },
          })
        ).status,
        409,
        'unique within a customer',
      );
      for (const [password, customer] of [
        ['password of a', a.id],
        ['password of b', b.id],
      ] as const) {
        const ok = await login(base, '127.0.0.8', { username: 'sam', password });
        assert.equal(ok.status, 200);
        assert.equal(
          (await call(base, '127.0.0.8', 'GET', '/v1.0/customer', { key: ok.body.token })).body.id,
          customer,
        );
      }
      // customer_id picks one: the other customer's password does not open it.
      assert.equal(
        (await login(base, '127.0.0.8', { username: 'sam', password: 'password of b', customer_id: a.id })).status,
        401,
      );
      assert.equal(
        (await login(base, '127.0.0.8', { username: 'sam', password: 'password of b', customer_id: b.id })).status,
        200,
      );
    });
  });
});

describe('api abuse: idempotent access key creation stores no token', () => {
  it('the stored record has no token; the replay returns the key marked token_redacted', async () => {
    await withServer(async ({ api, base }) => {
      const a = await api.newCustomer('A');
      const headers = { 'idempotency-key': 'make-key-1' };
      const first = await call(base, '127.0.0.9', 'POST', '/v1.0/accesskeys', {
        key: a.key,
        body: { name: 'ci' },
        headers,
      });
      assert.equal(first.status, 200);
      assert.match(first.body.token, /^vb_/);
      const rows = await api.store.db
        .selectFrom('idempotency_records')
        .selectAll()
        .where('key', '=', 'make-key-1')
        .execute();
      assert.equal(rows.length, 1);
      assert.ok(!rows[0]?.response_body.includes(first.body.token), 'the token is not stored');
      assert.equal(JSON.parse(rows[0]?.response_body ?? '{}').token, undefined);
      const replay = await call(base, '127.0.0.9', 'POST', '/v1.0/accesskeys', {
        key: a.key,
        body: { name: 'ci' },
        headers,
      });
      assert.equal(replay.status, 200);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.body.id, first.body.id);
      assert.equal(replay.body.token, undefined);
      assert.equal(replay.body.token_redacted, true);
      assert.equal((await call(base, '127.0.0.9', 'GET', '/v1.0/flows', { key: first.body.token })).status, 200);
    });
  });
});

describe('failure limiter', () => {
  it('tracks at most maxKeys keys under a flood of new ones, and forgets expired windows', () => {
    const clock = new FakeClock(0);
    const limiter = new FailureLimiter({ limit: 3, windowMs: 1000, maxKeys: 1000, clock });
    for (let i = 0; i < 25_000; i++) {
      limiter.fail(`k${i}`);
      assert.ok(limiter.size <= 1000);
    }
    for (let i = 0; i < 3; i++) limiter.fail('hot');
    assert.equal(limiter.blockedFor('hot'), 1);
    clock.advance(1000);
    assert.equal(limiter.blockedFor('hot'), 0);
  });
});
