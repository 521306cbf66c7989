import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../shared/index.ts';
import { startTestApi, type TestApi } from '../../test/support/api.ts';

describe('api: authentication, permissions and tenancy', () => {
  let api: TestApi;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  before(async () => {
    api = await startTestApi();
    a = await api.newCustomer('A');
    b = await api.newCustomer('B');
  });
  after(async () => api.close());

  it('no credential is 401 AUTHENTICATION_REQUIRED; a bad one is 401 INVALID_CREDENTIALS', async () => {
    const none = await api.request('GET', '/v1.0/flows', { key: null });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.reason, 'AUTHENTICATION_REQUIRED');
    const bad = await api.request('GET', '/v1.0/flows', { key: 'vb_notakey' });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error.reason, 'INVALID_CREDENTIALS');
    const jwt = await api.request('GET', '/v1.0/flows', { key: 'eyJhbGciOiJIUzI1NiJ9.e30.x' });
    assert.equal(jwt.status, 401);
  });

  it('the credential is found in the header, the query and the cookie', async () => {
    assert.equal((await api.request('GET', `/v1.0/flows?accesskey=${a.key}`, { key: null })).status, 200);
    assert.equal((await api.request('GET', `/v1.0/flows?token=${a.key}`, { key: null })).status, 200);
    assert.equal(
      (await api.request('GET', '/v1.0/flows', { key: null, headers: { cookie: `x=1; accesskey=${a.key}` } })).status,
      200,
    );
  });

  it('the admin key works on /customer (the default customer) and the admin endpoints', async () => {
    const me = await api.request('GET', '/v1.0/customer');
    assert.equal(me.status, 200);
    assert.equal(me.body.id, api.adminCustomerId);
    assert.match(me.body.webhook_secret, /^whsec_/);
    assert.equal((await api.request('GET', '/v1.0/providers')).status, 200);
  });

  it('a customer key on /providers, /routes and /customers is 403', async () => {
    for (const path of ['/v1.0/providers', '/v1.0/routes', '/v1.0/customers']) {
      const res = await api.request('GET', path, { key: a.key });
      assert.equal(res.status, 403, path);
      assert.equal(res.body.error.reason, 'PERMISSION_DENIED');
    }
  });

  it("customer A reading, changing or deleting customer B's flow is 404", async () => {
    const flow = await api.request('POST', '/v1.0/flows', {
      key: b.key,
      body: { name: 'b', actions: [{ type: 'answer' }] },
    });
    assert.equal(flow.status, 200);
    for (const method of ['GET', 'DELETE']) {
      const res = await api.request(method, `/v1.0/flows/${flow.body.id}`, { key: a.key });
      assert.equal(res.status, 404, method);
      assert.equal(res.body.error.reason, 'FLOW_NOT_FOUND');
    }
    assert.equal(
      (await api.request('PUT', `/v1.0/flows/${flow.body.id}`, { key: a.key, body: { name: 'x' } })).status,
      404,
    );
    const list = await api.request('GET', '/v1.0/flows', { key: a.key });
    assert.ok(!list.body.result.some((f: { id: string }) => f.id === flow.body.id));
    assert.equal((await api.request('GET', `/v1.0/flows/${flow.body.id}`, { key: b.key })).status, 200);
  });

  it('an access key is shown once, and a deleted key stops working at once', async () => {
    const k = await api.request('POST', '/v1.0/accesskeys', { key: a.key, body: { name: 'temp' } });
    assert.equal(k.status, 200);
    assert.match(k.body.token, /^vb_/);
    assert.equal(k.body.token_hash, undefined);
    const again = await api.request('GET', `/v1.0/accesskeys/${k.body.id}`, { key: a.key });
    assert.equal(again.body.token, undefined);
    assert.equal((await api.request('GET', '/v1.0/flows', { key: k.body.token })).status, 200);
    assert.equal((await api.request('DELETE', `/v1.0/accesskeys/${k.body.id}`, { key: a.key })).status, 200);
    assert.equal((await api.request('GET', '/v1.0/flows', { key: k.body.token })).status, 401);
  });

  it('a customer key cannot create keys for another customer', async () => {
    const res = await api.request('POST', '/v1.0/accesskeys', { key: a.key, body: { customer_id: b.id } });
    assert.equal(res.status, 403);
  });

  it('users log in with a password and get a JWT that works as a bearer token', async () => {
    const u = await api.request('POST', '/v1.0/users', {
      key: a.key,
      body: { username: 'alice', password: 'correct horse' },
    });
    assert.equal(u.status, 200, JSON.stringify(u.body));
    assert.equal(u.body.password_hash, undefined);
    const bad = await api.request('POST', '/v1.0/auth/login', {
      key: null,
      body: { username: 'alice', password: 'wrong pass' },
    });
    assert.equal(bad.status, 401);
    const ok = await api.request('POST', '/v1/auth/login', {
      key: null,
      body: { username: 'alice', password: 'correct horse' },
    });
    assert.equal(ok.status, 200);
    const me = await api.request('GET', '/v1.0/customer', { key: ok.body.token });
    assert.equal(me.status, 200);
    assert.equal(me.body.id, a.id);
    const tampered = ok.body.token.slice(0, -2) + (ok.body.token.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await api.request('GET', '/v1.0/customer', { key: tampered })).status, 401);
  });

  it("a deleted customer's keys stop working", async () => {
    const c = await api.newCustomer('C');
    assert.equal((await api.request('GET', '/v1.0/flows', { key: c.key })).status, 200);
    assert.equal((await api.request('DELETE', `/v1.0/customers/${c.id}`)).status, 200);
    assert.equal((await api.request('GET', '/v1.0/flows', { key: c.key })).status, 401);
  });
});

describe('api: rate limit and key expiry', () => {
  it('over the per-credential rate is 429 with Retry-After; other credentials are unaffected', async () => {
    const clock = new FakeClock(Date.now());
    const api = await startTestApi({ rateLimitPerSec: 2, rateLimitBurst: 3, clock });
    try {
      const a = await api.newCustomer('A');
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await api.request('GET', '/v1.0/flows', { key: a.key })).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      const limited = await api.request('GET', '/v1.0/flows', { key: a.key });
      assert.equal(limited.body.error.reason, 'RATE_LIMIT_EXCEEDED');
      assert.ok(Number(limited.headers['retry-after']) >= 1);
      clock.advance(1000);
      assert.equal((await api.request('GET', '/v1.0/flows', { key: a.key })).status, 200);
    } finally {
      await api.close();
    }
  });

  it('an expired access key is 401', async () => {
    const clock = new FakeClock(Date.now());
    const api = await startTestApi({ clock });
    try {
      const k = await api.request('POST', '/v1.0/accesskeys', { body: { name: 'short', expire: 60 } });
      assert.ok(k.body.tm_expire);
      assert.equal((await api.request('GET', '/v1.0/flows', { key: k.body.token })).status, 200);
      clock.advance(61_000);
      const res = await api.request('GET', '/v1.0/flows', { key: k.body.token });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.reason, 'INVALID_CREDENTIALS');
    } finally {
      await api.close();
    }
  });
});
