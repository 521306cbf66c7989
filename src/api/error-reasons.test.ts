import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isErrorCode } from '../shared/index.ts';
import { startTestApi, type TestApi } from '../../test/support/api.ts';

/** Every `x-reason` value anywhere in a JSON document. */
function xReasons(node: unknown, out: Set<unknown> = new Set()): Set<unknown> {
  if (Array.isArray(node)) for (const item of node) xReasons(item, out);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'x-reason') out.add(value);
      else xReasons(value, out);
    }
  }
  return out;
}

// A schema's `x-reason` is data the compiler cannot check: every one the API serves (the OpenAPI
// document and the flows schema) must be a code of the error catalogue (docs/errors.md).
describe('api: schema x-reason values are catalogue codes', () => {
  let api: TestApi;
  let key: string;
  before(async () => {
    api = await startTestApi();
    key = (await api.newCustomer('A')).key;
  });
  after(async () => api.close());

  it('in the OpenAPI document and the flows schema', async () => {
    const openapi = await api.request('GET', '/openapi.json', { key: null });
    const flows = await api.request('GET', '/v1.0/flows/schema', { key });
    assert.equal(openapi.status, 200);
    assert.equal(flows.status, 200);
    const reasons = xReasons([openapi.body, flows.body]);
    for (const known of ['INVALID_E164', 'INVALID_TECH_PREFIX', 'INVALID_ACTION_TARGET', 'UNSUPPORTED_LANGUAGE'])
      assert.ok(reasons.has(known), known);
    for (const reason of reasons)
      assert.ok(isErrorCode(reason), `x-reason ${String(reason)} is not in the error catalogue`);
  });
});
