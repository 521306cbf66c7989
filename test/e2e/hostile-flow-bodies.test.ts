import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_ACTION_DEPTH, MAX_FLOW_ACTIONS } from '../../src/flows/index.ts';
import { startTestCallbin, type TestCallbin } from '../support/callbin.ts';

// Flow bodies built to hurt the server (docs/flows.md "Limits"): each route that takes actions
// answers 400 naming the field and the limit, within the 1 MiB body, never a 500 or a stack overflow.

interface Answer {
  status: number;
  body: any;
}

const SOURCE = { type: 'tel', target: '+15550001111' };
const DESTINATIONS = [{ type: 'tel', target: '+821012345678' }];
const CALL_OPTION = `"destinations":${JSON.stringify(DESTINATIONS)}`;

/** `{"a":{"a":… 0}}`, `levels` objects deep. */
function nestedText(levels: number): string {
  return `${'{"a":'.repeat(levels)}0${'}'.repeat(levels)}`;
}

/** A call action whose inline list holds `count` copies of `action`. */
function callWith(count: number, action = '{}'): string {
  return `{"type":"call","option":{${CALL_OPTION},"actions":[${Array(count).fill(action).join(',')}]}}`;
}

describe('e2e: hostile flow bodies answer 4xx on every route that takes actions', () => {
  let cb: TestCallbin;
  let flowId = '';
  /** Each route taking a list of actions, with the body it takes the list (JSON text) in. */
  let routes: { name: string; method: string; path: string; body: (actions: string) => string }[] = [];

  const send = async (method: string, path: string, text: string): Promise<Answer> => {
    const key = cb.handle.admin?.accessKey ?? '';
    const res = await fetch(`${cb.handle.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: text,
    });
    const raw = await res.text();
    return { status: res.status, body: raw.startsWith('{') ? JSON.parse(raw) : raw };
  };

  /** Sends `actions` to every route and expects 400 with `reason` as the first detail on `field`. */
  const refusedEverywhere = async (actions: string, field: string, reason: string, lintToo = true) => {
    for (const route of routes) {
      if (!lintToo && route.name === 'lint') continue;
      const text = route.body(actions);
      assert.ok(text.length < 1024 * 1024, `${route.name}: the body fits the 1 MiB limit`);
      const res = await send(route.method, route.path, text);
      assert.equal(res.status, 400, `${route.name}: ${JSON.stringify(res.body).slice(0, 300)}`);
      const first = res.body.error.details?.[0];
      assert.deepEqual([first?.field, first?.reason], [field, reason], `${route.name}: ${JSON.stringify(first)}`);
      assert.equal(res.body.error.reason, reason, route.name);
    }
  };

  before(async () => {
    cb = await startTestCallbin();
    const flow = await cb.api('POST', '/v1.0/flows', { actions: [{ type: 'answer' }] });
    assert.equal(flow.status, 200, JSON.stringify(flow.body));
    flowId = flow.body.id;
    const withCall = (actions: string) =>
      `{"source":${JSON.stringify(SOURCE)},"destinations":${JSON.stringify(DESTINATIONS)},"actions":${actions}`;
    routes = [
      { name: 'create flow', method: 'POST', path: '/v1.0/flows', body: (a) => `{"actions":${a}}` },
      { name: 'update flow', method: 'PUT', path: `/v1.0/flows/${flowId}`, body: (a) => `{"actions":${a}}` },
      { name: 'lint', method: 'POST', path: '/v1.0/flows/lint', body: (a) => `{"actions":${a}}` },
      { name: 'simulation', method: 'POST', path: '/v1.0/simulations', body: (a) => `{"actions":${a}}` },
      { name: 'call', method: 'POST', path: '/v1.0/calls', body: (a) => `${withCall(a)}}` },
      {
        name: 'groupcall',
        method: 'POST',
        path: '/v1.0/groupcalls',
        body: (a) => `${withCall(a)},"ring_method":"ringall","answer_method":"hangup_others"}`,
      },
      { name: 'activeflow', method: 'POST', path: '/v1.0/activeflows', body: (a) => `{"actions":${a}}` },
    ];
  });
  after(async () => cb?.close());

  it(`an option nested past ${MAX_ACTION_DEPTH} levels, under the body's own depth limit: ACTION_TOO_DEEP on its field`, async () => {
    const field = `actions[1].option${'.a'.repeat(MAX_ACTION_DEPTH)}`;
    await refusedEverywhere(`[{"type":"answer"},{"type":"talk","option":${nestedText(50)}}]`, field, 'ACTION_TOO_DEEP');
  });

  it('a body nested 400,000 deep: BODY_TOO_DEEP before it is parsed', async () => {
    const option = `{"x":${'['.repeat(400_000)}${']'.repeat(400_000)}}`;
    for (const route of routes) {
      const res = await send(route.method, route.path, route.body(`[{"type":"answer","option":${option}}]`));
      assert.equal(res.status, 400, route.name);
      assert.equal(res.body.error.reason, 'BODY_TOO_DEEP', route.name);
    }
  });

  it("a call's inline list of 200,000 actions: TOO_MANY_ITEMS on the list, the linter included", async () => {
    await refusedEverywhere(`[${callWith(200_000)}]`, 'actions[0].option.actions', 'TOO_MANY_ITEMS');
  });

  it(`inline lists of 1,000 actions each, more than ${MAX_FLOW_ACTIONS} in all: TOO_MANY_ITEMS where the sum is passed`, async () => {
    const actions = `[${Array(300).fill(callWith(1_000)).join(',')}]`;
    // 300 actions and 1,000 in each inline list: the tenth list passes 10,000.
    await refusedEverywhere(actions, 'actions[9].option.actions', 'TOO_MANY_ITEMS');
  });

  it('a 1 MiB talk text: 400 on the text field; the linter reports it as an error of the flow', async () => {
    const actions = `[{"type":"talk","option":{"text":"${'a'.repeat(1_000_000)}"}}]`;
    await refusedEverywhere(actions, 'actions[0].option.text', 'INVALID_ACTION', false);
    const lint = await send('POST', '/v1.0/flows/lint', `{"actions":${actions}}`);
    assert.equal(lint.status, 200);
    assert.deepEqual(
      lint.body.errors.map((e: { field: string }) => e.field),
      ['actions[0].option.text'],
    );
  });

  it('10,000 keys in a variable_set option, or 10,000 variable_set actions inline: 400', async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `"k${i}":"v"`).join(',');
    await refusedEverywhere(
      `[{"type":"variable_set","option":{${keys}}}]`,
      'actions[0].option.key',
      'INVALID_ACTION',
      false,
    );
    const sets = Array.from({ length: 10_000 }, (_, i) => `{"type":"variable_set","option":{"key":"k${i}"}}`);
    await refusedEverywhere(
      `[{"type":"call","option":{${CALL_OPTION},"actions":[${sets.join(',')}]}}]`,
      'actions[0].option.actions',
      'TOO_MANY_ITEMS',
    );
  });

  it('10,000 variables beside inline actions: 400 INVALID_VARIABLES', async () => {
    const variables = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, 'v']));
    for (const path of ['/v1.0/activeflows', '/v1.0/calls']) {
      // A test number that answers busy (docs/testing-your-flows.md "Test numbers"): routed, never answered.
      const destinations = [{ type: 'tel', target: '+15005550003' }];
      const body = { source: SOURCE, destinations, actions: [{ type: 'hangup' }], variables };
      const res = await send(
        'POST',
        path,
        JSON.stringify(path === '/v1.0/calls' ? body : { actions: body.actions, variables }),
      );
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`);
      assert.equal(res.body.error.reason, 'INVALID_VARIABLES', path);
    }
  });

  it('a simulation whose scripted fetch_flow and fetch answers nest 400,000 deep: the action fails with ACTION_TOO_DEEP', async () => {
    const target = '00000000-0000-4000-8000-0000000000aa';
    const deep = `[{"type":"answer","option":{"x":${'['.repeat(400_000)}${']'.repeat(400_000)}}}]`;
    const url = 'https://flows.example.com/next';
    const cases = [
      { type: 'fetch_flow', option: { flow_id: target }, key: target },
      { type: 'fetch', option: { event_url: url }, key: url },
    ];
    for (const { type, option, key } of cases) {
      const body = JSON.stringify({ actions: [{ type, option }], script: { http: { [key]: { body: deep } } } });
      const res = await send('POST', '/v1.0/simulations', body);
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      const ended = res.body.steps.find((s: { event: string }) => s.event === 'end');
      assert.equal(ended?.result, 'error', type);
      assert.equal(ended?.error?.code, 'ACTION_TOO_DEEP', `${type}: ${JSON.stringify(ended?.error).slice(0, 200)}`);
    }
  });
});
