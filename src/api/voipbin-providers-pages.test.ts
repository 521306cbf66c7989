import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { NIL_UUID } from '../shared/index.ts';
import { startTestApi, type TestApi, type TestResponse } from '../../test/support/api.ts';

const ALL_CUSTOMERS = '00000000-0000-0000-0000-000000000001';

describe('api: VoIPBIN forms of providers and routes, pages and login', () => {
  let api: TestApi;
  let app: FastifyInstance;
  let adminKey = '';
  let key = '';

  const request = (method: string, url: string, o: { key?: string; body?: unknown } = {}) =>
    api.request(method, url, { key: o.key ?? key, ...(o.body !== undefined ? { body: o.body } : {}) });
  const ok = async (method: string, url: string, body?: unknown, asKey = key): Promise<any> => {
    const res = await request(method, url, { key: asKey, body });
    assert.equal(res.status, 200, `${method} ${url}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const fails = async (res: Promise<TestResponse>, status: number, reason: string, field?: string) => {
    const { status: got, body } = await res;
    assert.equal(got, status, JSON.stringify(body));
    assert.equal(body.error.reason, reason);
    if (field !== undefined) assert.equal(body.error.details?.[0]?.field, field);
  };
  const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

  before(async () => {
    api = await startTestApi();
    app = api.app;
    adminKey = api.adminKey;
    key = (await api.newCustomer('voipbin')).key;
  });
  after(async () => api.close());

  it('providers take codecs as "PCMU,PCMA" and hostname:port and answer health and metadata; all-customer routes are the platform', async () => {
    const p = await ok(
      'POST',
      '/v1.0/providers',
      {
        type: 'sip',
        hostname: 'sip.example.com:5080',
        tech_prefix: '',
        tech_postfix: '',
        tech_headers: {},
        codecs: 'PCMA',
      },
      adminKey,
    );
    assert.deepEqual([p.hostname, p.port, p.codecs], ['sip.example.com', 5080, ['PCMA']]);
    assert.deepEqual([p.health_status, p.health_checked_at, p.metadata], ['unknown', '', {}]);
    const v6 = await ok(
      'PUT',
      `/v1.0/providers/${p.id}`,
      { hostname: '[2001:db8::1]:5062', codecs: 'pcmu, PCMA' },
      adminKey,
    );
    assert.deepEqual([v6.hostname, v6.port, v6.codecs], ['[2001:db8::1]', 5062, ['PCMU', 'PCMA']]);
    const bare = await ok('PUT', `/v1.0/providers/${p.id}`, { hostname: '2001:db8::2', codecs: '' }, adminKey);
    assert.deepEqual([bare.hostname, bare.port, bare.codecs], ['2001:db8::2', 5062, ['PCMU', 'PCMA']]);
    const clash = { hostname: 'sip.example.com:5080', port: 5060 };
    await fails(
      request('PUT', `/v1.0/providers/${p.id}`, { key: adminKey, body: clash }),
      400,
      'INVALID_VALUE',
      'port',
    );
    const badPort = { hostname: 'sip.example.com:70000' };
    await fails(
      request('POST', '/v1.0/providers', { key: adminKey, body: badPort }),
      400,
      'INVALID_HOSTNAME',
      'hostname',
    );
    const twice = { hostname: 'h.example.com', codecs: 'PCMU,PCMU' };
    await fails(request('POST', '/v1.0/providers', { key: adminKey, body: twice }), 400, 'INVALID_VALUE', 'codecs');
    const route = await ok(
      'POST',
      '/v1.0/routes',
      { customer_id: ALL_CUSTOMERS, provider_id: p.id, priority: 1, target: 'all', name: '', detail: '' },
      adminKey,
    );
    assert.equal(route.customer_id, NIL_UUID);
    const listed = await ok('GET', `/v1.0/routes?customer_id=${ALL_CUSTOMERS}`, undefined, adminKey);
    assert.ok(listed.result.some((r: { id: string }) => r.id === route.id));
  });

  it('page_size above 100 is clamped; a VoIPBIN timestamp page token lists older items; callbin tokens still work', async () => {
    const c = await ok('POST', '/v1.0/customers', { name: 'pages' }, adminKey);
    const pagerKey = (await ok('POST', '/v1.0/accesskeys', { name: 'k', customer_id: c.id }, adminKey)).token;
    const flows = [];
    for (let i = 0; i < 105; i++) {
      flows.push(await ok('POST', '/v1.0/flows', { name: `p${i}`, actions: [] }, pagerKey));
      if (i < 3) await tick();
    }
    const big = await ok('GET', '/v1.0/flows?page_size=500', undefined, pagerKey);
    assert.equal(big.result.length, 100);
    const rest = await ok('GET', `/v1.0/flows?page_token=${big.next_page_token}`, undefined, pagerKey);
    assert.equal(rest.result.length, 5);
    // VoIPBIN's form of the third flow's tm_create (space, microseconds, no zone): the two before it.
    const at = flows[2].tm_create as string;
    const token = `${at.slice(0, 10)} ${at.slice(11, 23)}000`;
    const older = await ok('GET', `/v1.0/flows?page_token=${encodeURIComponent(token)}`, undefined, pagerKey);
    assert.deepEqual(
      older.result.map((f: { name: string }) => f.name),
      ['p1', 'p0'],
    );
    await fails(request('GET', '/v1.0/flows?page_token=2024-02-30%2000:00:00'), 400, 'INVALID_PAGE_TOKEN');
  });

  it('POST /auth/login sets the token cookie VoIPBIN sets, and the cookie authenticates', async () => {
    await ok('POST', '/v1.0/users', { username: 'ann', password: 'password1' });
    const res = await app.inject({
      method: 'POST',
      url: '/v1.0/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'ann', password: 'password1' }),
    });
    assert.equal(res.statusCode, 200, res.body);
    const cookie = String(res.headers['set-cookie']);
    const token = JSON.parse(res.body).token as string;
    assert.equal(cookie.split(';')[0], `token=${token}`);
    assert.match(cookie, /; Path=\/;.*HttpOnly/);
    const me = await app.inject({ method: 'GET', url: '/v1.0/customer', headers: { cookie: `token=${token}` } });
    assert.equal(me.statusCode, 200);
  });

  it('POST /auth/login also answers at the root, as VoIPBIN serves it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'ann', password: 'password1' }),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['set-cookie']), /^token=/);
  });
});
