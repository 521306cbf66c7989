import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApi, type TestApi } from '../../test/support/api.ts';
import { act, aid } from '../flows/testing/action-ids.ts';
import { flowResponses } from './responses/flows.ts';
import { strictProblems } from './responses/testing/strict-schema.ts';

type Warning = { action_id: string; field: string; code: string; message: string };

function codes(warnings: readonly Warning[]): string[] {
  return warnings.map((w) => `${w.code} ${w.action_id}`);
}

/** A flow with a branch without default, digits nobody reads past it, and a connect to extensions 100 and 200. */
const FLOW = {
  name: 'lint me',
  actions: [
    act(1, 'answer'),
    act(2, 'digits_receive', { length: 1 }),
    act(3, 'branch', { variable: 'menu', target_ids: { '1': aid(4) } }),
    act(4, 'connect', {
      destinations: [
        { type: 'extension', target: '100' },
        { type: 'extension', target: '200' },
      ],
    }),
    act(5, 'hangup'),
  ],
};

describe('api: flow warnings and POST /flows/lint', () => {
  let api: TestApi;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  before(async () => {
    api = await startTestApi();
    a = await api.newCustomer('lint-a');
    b = await api.newCustomer('lint-b');
    const ext = { extension: '100', password: 'secret-pass-1' };
    assert.equal((await api.request('POST', '/v1.0/extensions', { key: a.key, body: ext })).status, 200);
  });
  after(async () => api.close());

  it('POST and PUT /flows save the flow and answer it with its warnings; GET shows them too', async () => {
    const created = await api.request('POST', '/v1.0/flows', { key: a.key, body: FLOW });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.deepEqual(strictProblems(flowResponses['POST /flows'], created.body), []);
    const expected = [
      `DIGITS_NOT_USED ${aid(2)}`,
      `VARIABLE_NEVER_SET ${aid(3)}`,
      `BRANCH_WITHOUT_DEFAULT ${aid(3)}`,
      `UNKNOWN_EXTENSION ${aid(4)}`,
    ];
    assert.deepEqual(codes(created.body.warnings), expected);
    assert.match(created.body.warnings[3].message, /"200"/);
    const stored = await api.store.flows.get(created.body.id, { customerId: a.id });
    assert.equal(stored?.actions.length, 5, 'the flow is saved despite its warnings');

    // Another customer has no extension 100: both are unknown to it.
    const theirs = await api.request('POST', '/v1.0/flows', { key: b.key, body: FLOW });
    assert.equal(codes(theirs.body.warnings).filter((c) => c.startsWith('UNKNOWN_EXTENSION')).length, 2);

    const fixed = {
      actions: [
        act(1, 'answer'),
        act(2, 'digits_receive', { length: 1 }),
        act(3, 'branch', { target_ids: { '1': aid(4) }, default_target_id: aid(5) }),
        act(4, 'connect', { destinations: [{ type: 'extension', target: '100' }] }),
        act(5, 'hangup'),
      ],
    };
    const updated = await api.request('PUT', `/v1.0/flows/${created.body.id}`, { key: a.key, body: fixed });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.deepEqual(updated.body.warnings, []);
    assert.deepEqual(strictProblems(flowResponses['PUT /flows/:id'], updated.body), []);
    const renamed = await api.request('PUT', `/v1.0/flows/${created.body.id}`, {
      key: a.key,
      body: { actions: [act(1, 'answer'), act(2, 'hangup'), act(3, 'beep')] },
    });
    assert.deepEqual(codes(renamed.body.warnings), [`UNREACHABLE_ACTION ${aid(3)}`]);
    const got = await api.request('GET', `/v1.0/flows/${created.body.id}`, { key: a.key });
    assert.deepEqual(codes(got.body.warnings), [`UNREACHABLE_ACTION ${aid(3)}`]);
  });

  it('errors stay 400 on POST and PUT, and nothing is saved', async () => {
    const before = (await api.request('GET', '/v1.0/flows', { key: b.key })).body.result.length;
    const bad = { actions: [act(1, 'goto', { target_id: aid(9), loop_count: 1 })] };
    const refused = await api.request('POST', '/v1.0/flows', { key: b.key, body: bad });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details[0].reason, 'INVALID_ACTION_TARGET');
    assert.equal((await api.request('GET', '/v1.0/flows', { key: b.key })).body.result.length, before);
    const flow = await api.request('POST', '/v1.0/flows', { key: b.key, body: { actions: [act(1, 'hangup')] } });
    const put = await api.request('PUT', `/v1.0/flows/${flow.body.id}`, { key: b.key, body: bad });
    assert.equal(put.status, 400);
    const kept = await api.request('GET', `/v1.0/flows/${flow.body.id}`, { key: b.key });
    assert.equal(kept.body.actions[0].type, 'hangup');
  });

  it('POST /flows/lint answers warnings and errors and saves nothing', async () => {
    const before = (await api.request('GET', '/v1.0/flows', { key: a.key })).body.result.length;
    const clean = await api.request('POST', '/v1.0/flows/lint', { key: a.key, body: FLOW });
    assert.equal(clean.status, 200, JSON.stringify(clean.body));
    assert.deepEqual(strictProblems(flowResponses['POST /flows/lint'], clean.body), []);
    assert.deepEqual(clean.body.errors, []);
    assert.equal(clean.body.warnings.length, 4);

    // An invalid list: the errors validation gives, and the warnings of the actions as given (no id: "").
    const broken = await api.request('POST', '/v1.0/flows/lint', {
      key: a.key,
      body: {
        actions: [
          { type: 'answer' },
          { type: 'talk', option: { text: 'hi', language: 'xx-YY' } },
          act(3, 'goto', { target_id: aid(8), loop_count: 2 }),
          { type: 'hangup' },
          { type: 'beep' },
        ],
      },
    });
    assert.equal(broken.status, 200);
    assert.deepEqual(
      broken.body.errors.map((e: { field: string; reason: string }) => `${e.reason} ${e.field}`),
      ['UNSUPPORTED_LANGUAGE actions[1].option.language', 'INVALID_ACTION_TARGET actions[2].option.target_id'],
    );
    assert.deepEqual(
      broken.body.warnings.map((w: Warning) => `${w.code} ${w.field} ${w.action_id}`),
      ['UNREACHABLE_ACTION actions[4] '],
    );
    assert.equal((await api.request('GET', '/v1.0/flows', { key: a.key })).body.result.length, before);

    const notAList = await api.request('POST', '/v1.0/flows/lint', { key: a.key, body: { actions: 'answer' } });
    assert.equal(notAList.status, 400);
    assert.equal((await api.request('POST', '/v1.0/flows/lint', { key: null, body: FLOW })).status, 401);
  });
});
