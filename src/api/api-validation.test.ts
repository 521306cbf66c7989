import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi, type TestResponse } from '../../test/support/api.ts';

function assertError(res: TestResponse, status: number, reason: string, field?: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.reason, reason, JSON.stringify(res.body));
  assert.equal(typeof res.body.error.request_id, 'string');
  assert.equal(typeof res.body.error.message, 'string');
  if (field !== undefined) {
    assert.ok(
      res.body.error.details.some((d: { field: string }) => d.field === field),
      `no detail for ${field}: ${JSON.stringify(res.body)}`,
    );
    assert.ok(res.body.error.message.includes(field), `message names the field: ${res.body.error.message}`);
  }
}

describe('api: bad input is 400 with the field and a reason, never 500', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => api.close());

  it('malformed JSON', async () => {
    assertError(await api.request('POST', '/v1.0/flows', { rawBody: '{"actions": [' }), 400, 'MALFORMED_JSON');
  });

  it('an unknown field', async () => {
    assertError(
      await api.request('POST', '/v1.0/flows', { body: { actions: [], colour: 'red' } }),
      400,
      'UNKNOWN_FIELD',
      'colour',
    );
  });

  it('a wrong type', async () => {
    assertError(
      await api.request('POST', '/v1.0/flows', { body: { actions: [], name: 42 } }),
      400,
      'INVALID_TYPE',
      'name',
    );
  });

  it('a missing required field', async () => {
    assertError(await api.request('POST', '/v1.0/numbers', { body: { name: 'x' } }), 400, 'MISSING_FIELD', 'number');
  });

  it('a body over 1 MiB', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), actions: [] });
    assertError(await api.request('POST', '/v1.0/flows', { rawBody: big }), 400, 'BODY_TOO_LARGE');
  });

  it('a phone number with spaces and punctuation: +1 (606) 206-7563', async () => {
    const res = await api.request('POST', '/v1.0/numbers', { body: { number: '+1 (606) 206-7563' } });
    assertError(res, 400, 'INVALID_E164', 'number');
    assert.match(res.body.error.message, /E\.164/);
  });

  it('a phone number without the plus: 16062067563', async () => {
    assertError(
      await api.request('POST', '/v1.0/numbers', { body: { number: '16062067563' } }),
      400,
      'INVALID_E164',
      'number',
    );
  });

  it('an extension with a hyphen: ab-12', async () => {
    assertError(
      await api.request('POST', '/v1.0/extensions', { body: { extension: 'ab-12', password: 'secret123' } }),
      400,
      'INVALID_EXTENSION',
      'extension',
    );
  });

  it('a weak extension password', async () => {
    assertError(
      await api.request('POST', '/v1.0/extensions', { body: { extension: 'ab12', password: 'short' } }),
      400,
      'WEAK_PASSWORD',
      'password',
    );
  });

  it('an unknown action type', async () => {
    const res = await api.request('POST', '/v1.0/flows', {
      body: { actions: [{ type: 'answer' }, { type: 'dance' }] },
    });
    assertError(res, 400, 'INVALID_ACTION');
    assert.ok(
      res.body.error.details.some((d: { field: string }) => d.field.startsWith('actions[1]')),
      JSON.stringify(res.body),
    );
  });

  it('a goto to an id that is not in the flow', async () => {
    const res = await api.request('POST', '/v1.0/flows', {
      body: {
        actions: [
          { id: '11111111-1111-4111-8111-111111111111', type: 'answer' },
          { type: 'goto', option: { target_id: '22222222-2222-4222-8222-222222222222' } },
        ],
      },
    });
    assertError(res, 400, 'INVALID_ACTION_TARGET', 'actions[1].option.target_id');
  });

  it('a talk action in a language the TTS engine does not speak', async () => {
    const res = await api.request('POST', '/v1.0/flows', {
      body: { actions: [{ type: 'talk', option: { text: 'hi', language: 'tlh-QO' } }] },
    });
    assertError(res, 400, 'UNSUPPORTED_LANGUAGE', 'actions[0].option.language');
    const ok = await api.request('POST', '/v1.0/flows', {
      body: { actions: [{ type: 'talk', option: { text: 'hi', language: 'de-DE', gender: 'female' } }] },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it('a flow referencing a missing flow id on a number', async () => {
    const res = await api.request('POST', '/v1.0/numbers', {
      body: { number: '+16062067563', call_flow_id: '33333333-3333-4333-8333-333333333333' },
    });
    assertError(res, 400, 'FLOW_NOT_FOUND', 'call_flow_id');
  });

  it('a bad page size and a bad page token', async () => {
    // Above 100 is clamped (docs/api.md "Pagination"); below 1 or beyond any count is 400.
    assertError(await api.request('GET', '/v1.0/flows?page_size=0'), 400, 'OUT_OF_RANGE', 'page_size');
    assertError(await api.request('GET', '/v1.0/flows?page_size=99999999999'), 400, 'OUT_OF_RANGE', 'page_size');
    assertError(await api.request('GET', '/v1.0/flows?page_token=%%%'), 400, 'INVALID_PAGE_TOKEN');
  });

  it('a route target that is not a country code', async () => {
    const prov = await api.request('POST', '/v1.0/providers', { body: { hostname: '127.0.0.1', port: 5070 } });
    assert.equal(prov.status, 200, JSON.stringify(prov.body));
    assertError(
      await api.request('POST', '/v1.0/routes', { body: { provider_id: prov.body.id, target: '1' } }),
      400,
      'INVALID_ROUTE_TARGET',
      'target',
    );
    assertError(
      await api.request('POST', '/v1.0/routes', {
        body: { provider_id: '44444444-4444-4444-8444-444444444444', target: 'all' },
      }),
      400,
      'PROVIDER_NOT_FOUND',
      'provider_id',
    );
  });

  it('a provider header that would inject a line break', async () => {
    const res = await api.request('POST', '/v1.0/providers', {
      body: { hostname: 'trunk.example.com', tech_headers: { 'X-A': 'a\r\nVia: evil' } },
    });
    assertError(res, 400, 'INVALID_FORMAT');
  });

  it('an unknown endpoint is a 404 envelope', async () => {
    assertError(await api.request('GET', '/v1.0/nothing-here'), 404, 'ROUTE_NOT_FOUND');
  });
});
