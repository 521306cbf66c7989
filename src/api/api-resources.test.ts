import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from '../../test/support/api.ts';

describe('api: resources, idempotency and pagination', () => {
  let api: TestApi;
  let a: { id: string; key: string };
  before(async () => {
    api = await startTestApi();
    a = await api.newCustomer('A');
  });
  after(async () => api.close());

  it('two POST /flows with one Idempotency-Key create one flow and return the same body; another body is 409', async () => {
    const body = {
      name: 'ivr',
      actions: [{ type: 'answer' }, { type: 'talk', option: { text: 'hello', language: 'en-US' } }],
    };
    const headers = { 'idempotency-key': 'create-ivr-1' };
    const first = await api.request('POST', '/v1.0/flows', { key: a.key, body, headers });
    const second = await api.request('POST', '/v1.0/flows', { key: a.key, body, headers });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    const list = await api.request('GET', '/v1.0/flows', { key: a.key });
    assert.equal(list.body.result.filter((f: { name: string }) => f.name === 'ivr').length, 1);
    const other = await api.request('POST', '/v1.0/flows', { key: a.key, body: { ...body, name: 'other' }, headers });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.reason, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('concurrent POSTs with one Idempotency-Key act once', async () => {
    const body = { name: 'race', actions: [] };
    const headers = { 'idempotency-key': 'race-1' };
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => api.request('POST', '/v1.0/flows', { key: a.key, body, headers })),
    );
    const created = new Set(results.filter((r) => r.status === 200).map((r) => r.body.id));
    assert.equal(created.size, 1, JSON.stringify(results.map((r) => r.status)));
    const list = await api.request('GET', '/v1.0/flows', { key: a.key });
    assert.equal(list.body.result.filter((f: { name: string }) => f.name === 'race').length, 1);
  });

  it('paging through 250 flows with page_size=100 while new flows are created sees every flow exactly once', async () => {
    const c = await api.newCustomer('pager');
    const created = new Set<string>();
    for (let i = 0; i < 250; i++) {
      const r = await api.request('POST', '/v1.0/flows', { key: c.key, body: { name: `f${i}`, actions: [] } });
      created.add(r.body.id);
    }
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await api.request(
        'GET',
        `/v1.0/flows?page_size=100${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
        { key: c.key },
      );
      assert.equal(page.status, 200);
      seen.push(...page.body.result.map((f: { id: string }) => f.id));
      token = page.body.next_page_token;
      pages++;
      // New flows arrive while the client pages.
      for (let i = 0; i < 5; i++)
        await api.request('POST', '/v1.0/flows', { key: c.key, body: { name: `new${pages}-${i}`, actions: [] } });
    } while (token !== '');
    const seenOriginal = seen.filter((id) => created.has(id));
    assert.equal(seenOriginal.length, 250);
    assert.equal(new Set(seen).size, seen.length, 'no flow twice');
    assert.equal(pages, 3);
  });

  it('flows: ids are filled in, PUT replaces actions, DELETE hides it; /v1 is an alias of /v1.0', async () => {
    const f = await api.request('POST', '/v1/flows', {
      key: a.key,
      body: { name: 'x', actions: [{ type: 'answer' }, { type: 'hangup' }] },
    });
    assert.equal(f.status, 200);
    assert.equal(f.body.actions.length, 2);
    assert.match(f.body.actions[0].id, /^[0-9a-f-]{36}$/);
    const got = await api.request('GET', `/v1.0/flows/${f.body.id}`, { key: a.key });
    assert.deepEqual(got.body.actions, f.body.actions);
    const put = await api.request('PUT', `/v1.0/flows/${f.body.id}`, {
      key: a.key,
      body: { actions: [{ type: 'sleep', option: { duration: 1000 } }] },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.actions[0].type, 'sleep');
    assert.equal((await api.request('DELETE', `/v1.0/flows/${f.body.id}`, { key: a.key })).status, 200);
    assert.equal((await api.request('GET', `/v1.0/flows/${f.body.id}`, { key: a.key })).status, 404);
  });

  it('numbers are unique platform-wide', async () => {
    const b = await api.newCustomer('B');
    assert.equal(
      (await api.request('POST', '/v1.0/numbers', { key: a.key, body: { number: '+821012345678' } })).status,
      200,
    );
    const dup = await api.request('POST', '/v1.0/numbers', { key: b.key, body: { number: '+821012345678' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.status, 'ALREADY_EXISTS');
  });

  it('extensions get a platform-unique digest username and the customer domain; two customers may share a name', async () => {
    const b = await api.newCustomer('B2');
    const ea = await api.request('POST', '/v1.0/extensions', {
      key: a.key,
      body: { extension: '1001', password: 'pass1234' },
    });
    const eb = await api.request('POST', '/v1.0/extensions', {
      key: b.key,
      body: { extension: '1001', password: 'pass5678' },
    });
    assert.equal(ea.status, 200, JSON.stringify(ea.body));
    assert.equal(eb.status, 200);
    assert.notEqual(ea.body.username, eb.body.username);
    assert.equal(ea.body.domain_name, `${a.id}.sip.test`);
    assert.deepEqual(ea.body.registered, []);
    const dup = await api.request('POST', '/v1.0/extensions', {
      key: a.key,
      body: { extension: '1001', password: 'pass1234' },
    });
    assert.equal(dup.status, 409);
  });

  it('providers hide their password; routes need an existing provider and customer', async () => {
    const p = await api.request('POST', '/v1.0/providers', {
      body: { hostname: 'trunk.example.com', auth_username: 'u', auth_password: 'secret' },
    });
    assert.equal(p.status, 200);
    assert.equal(p.body.auth_password, undefined);
    assert.equal(p.body.port, 5060);
    const r = await api.request('POST', '/v1.0/routes', {
      body: { customer_id: a.id, provider_id: p.body.id, target: '+82', priority: 1 },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const list = await api.request('GET', `/v1.0/routes?customer_id=${a.id}`);
    assert.equal(list.body.result.length, 1);
  });

  it('customer webhook settings are changed by the customer itself', async () => {
    const put = await api.request('PUT', '/v1.0/customer', {
      key: a.key,
      body: { webhook_uri: 'http://127.0.0.1:9/hook', webhook_event_types: ['call_hangup'] },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.webhook_uri, 'http://127.0.0.1:9/hook');
    const bad = await api.request('PUT', '/v1.0/customer', { key: a.key, body: { webhook_uri: 'ftp://x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.reason, 'INVALID_URL');
  });

  it('tts voices: at least 50 languages with a male and a female voice each, paged and filtered', async () => {
    const all: { language: string; gender: string; voice_id: string }[] = [];
    let token = '';
    do {
      const page = await api.request('GET', `/v1.0/tts/voices?page_size=100${token ? `&page_token=${token}` : ''}`, {
        key: a.key,
      });
      assert.equal(page.status, 200);
      all.push(...page.body.result);
      token = page.body.next_page_token;
    } while (token !== '');
    const byLang = new Map<string, Set<string>>();
    for (const v of all) byLang.set(v.language, (byLang.get(v.language) ?? new Set()).add(v.gender));
    const both = [...byLang.values()].filter((g) => g.has('male') && g.has('female')).length;
    assert.ok(both >= 50, `languages with both genders: ${both}`);
    const de = await api.request('GET', '/v1.0/tts/voices?language=de&gender=female', { key: a.key });
    assert.ok(de.body.result.length >= 1);
    assert.ok(
      de.body.result.every(
        (v: { language: string; gender: string }) => v.language.startsWith('de') && v.gender === 'female',
      ),
    );
    assert.equal((await api.request('GET', '/v1.0/tts/voices?page_token=abc', { key: a.key })).status, 400);
  });

  it('health, metrics, OpenAPI and the flows schema are served', async () => {
    assert.equal((await api.request('GET', '/health', { key: null })).body.status, 'ok');
    const metrics = await api.request('GET', '/metrics', { key: null });
    assert.match(String(metrics.body), /callbin_http_requests_total/);
    const spec = await api.request('GET', '/openapi.json', { key: null });
    assert.equal(spec.status, 200);
    assert.ok(spec.body.paths['/v1.0/flows']);
    assert.equal(spec.body.paths['/v1/flows'], undefined);
    const schema = await api.request('GET', '/v1.0/flows/schema', { key: a.key });
    assert.equal(schema.status, 200);
    const docs = await api.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });
});
