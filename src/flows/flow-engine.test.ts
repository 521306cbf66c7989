import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError, ValidationError } from '../shared/index.ts';
import { act, aid } from './testing/action-ids.ts';
import { CUSTOMER, EngineHarness } from './testing/engine-harness.ts';
import { Gate, waitFor } from './testing/fake-ports.ts';

describe('flow engine: cursor', () => {
  test('runs actions in order, ends past the last one and tells the call side', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'variable_set', { key: 'a', value: '1' }),
      act(2, 'variable_set', { key: 'b', value: '2' }),
    ]);
    const af = await h.ended(id);
    assert.deepEqual(
      af.executed_actions.map((a) => a.id),
      [aid(1), aid(2)],
    );
    assert.equal(af.status, 'ended');
    assert.equal(af.variables['b'], '2');
    assert.deepEqual(h.calls.flowEndedCalls, [`call-1 ${id}`]);
    assert.deepEqual(
      h.calls.actions.map((a) => a.id),
      [aid(1), aid(2)],
    );
    const types = h.store.events.filter((e) => e.data.id === id).map((e) => e.type);
    assert.equal(types[0], 'activeflow_created');
    assert.ok(types.slice(1).every((t) => t === 'activeflow_updated'));
  });

  test('next_id jumps over the following actions', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'variable_set', { key: 'a', value: '1' }, 3),
      act(2, 'variable_set', { key: 'skipped', value: 'x' }),
      act(3, 'stop'),
    ]);
    const af = await h.ended(id);
    assert.deepEqual(
      af.executed_actions.map((a) => a.type),
      ['variable_set', 'stop'],
    );
    assert.equal(af.variables['skipped'], undefined);
  });

  test('goto jumps loop_count times, then falls through', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([
      act(1, 'variable_set', { key: 'n', value: '${n}x' }),
      act(2, 'goto', { target_id: aid(1), loop_count: 2 }),
      act(3, 'stop'),
    ]);
    const af = await h.ended(id);
    assert.equal(af.variables['n'], 'xxx');
    assert.deepEqual(
      af.executed_actions.map((a) => a.type),
      ['variable_set', 'goto', 'variable_set', 'goto', 'variable_set', 'goto', 'stop'],
    );
  });

  test('branch jumps by the digits, resets the variable, and takes the default for an unknown value', async () => {
    const h = new EngineHarness();
    const flow = (digits: string): unknown[] => [
      act(1, 'variable_set', { key: 'voipbin.call.digits', value: digits }),
      act(2, 'branch', { target_ids: { '1': aid(3), '2': aid(4) }, default_target_id: aid(5) }),
      act(3, 'variable_set', { key: 'went', value: 'one' }, 6),
      act(4, 'variable_set', { key: 'went', value: 'two' }, 6),
      act(5, 'variable_set', { key: 'went', value: 'default' }, 6),
      act(6, 'stop'),
    ];
    for (const [digits, went] of [
      ['2', 'two'],
      ['1', 'one'],
      ['9', 'default'],
    ] as const) {
      const af = await h.ended(await h.startCall(flow(digits), { id: `call-${digits}` }));
      assert.equal(af.variables['went'], went);
      assert.equal(af.variables['voipbin.call.digits'], '');
    }
  });

  test('condition_variable compares strings, numbers and lengths; false jumps', async () => {
    const h = new EngineHarness();
    const cases: [Record<string, unknown>, boolean][] = [
      [{ condition: '==', variable: '${v}', value_type: 'string', value_string: '42' }, true],
      [{ condition: '>', variable: '${v}', value_type: 'number', value_number: 100 }, false],
      [{ condition: '<=', variable: '${v}', value_type: 'number', value_number: 42 }, true],
      [{ condition: '>=', variable: '${v}', value_type: 'length', value_length: 3 }, false],
      [{ condition: '!=', variable: '${missing}', value_type: 'string', value_string: '' }, false],
    ];
    for (const [i, [option, expected]] of cases.entries()) {
      const af = await h.ended(
        await h.startCall(
          [
            act(1, 'condition_variable', { ...option, false_target_id: aid(3) }),
            act(2, 'variable_set', { key: 'r', value: 'true' }, 4),
            act(3, 'variable_set', { key: 'r', value: 'false' }),
            act(4, 'stop'),
          ],
          {
            id: `call-${i}`,
            variables: { v: '42' },
          },
        ),
      );
      assert.equal(af.variables['r'], String(expected), JSON.stringify(option));
    }
  });

  test('condition_datetime reads the wall clock of the time zone (both branches)', async () => {
    // The fake clock reads Monday 2026-01-05 12:00 UTC = 21:00 in Seoul.
    const h = new EngineHarness();
    const flow = (timezone: string): unknown[] => [
      act(1, 'condition_datetime', {
        condition: '>=',
        hour: 18,
        weekdays: [1, 2, 3, 4, 5],
        timezone,
        false_target_id: aid(3),
      }),
      act(2, 'variable_set', { key: 'office', value: 'closed' }, 4),
      act(3, 'variable_set', { key: 'office', value: 'open' }),
      act(4, 'stop'),
    ];
    assert.equal((await h.ended(await h.startCall(flow('Asia/Seoul'), { id: 'seoul' }))).variables['office'], 'closed');
    assert.equal((await h.ended(await h.startCall(flow('UTC'), { id: 'utc' }))).variables['office'], 'open');
    const weekend = [
      act(1, 'condition_datetime', { condition: '>=', hour: 0, weekdays: [0, 6], false_target_id: aid(3) }),
      act(2, 'variable_set', { key: 'w', value: 'yes' }, 4),
      act(3, 'variable_set', { key: 'w', value: 'no' }),
      act(4, 'stop'),
    ];
    assert.equal((await h.ended(await h.startCall(weekend, { id: 'weekend' }))).variables['w'], 'no');
  });
});

describe('flow engine: pushed lists', () => {
  test('fetch runs the answered actions next, then returns to the action after it', async () => {
    const h = new EngineHarness();
    h.http.fetchImpl = async () => [
      { type: 'variable_set', option: { key: 'fetched', value: 'yes' } },
      { type: 'variable_set', option: { key: 'second', value: '${fetched}' } },
    ];
    const id = await h.startCall([
      act(1, 'fetch', { event_url: 'https://example.test/next' }),
      act(2, 'variable_set', { key: 'after', value: '${second}' }),
    ]);
    const af = await h.ended(id);
    assert.deepEqual(
      af.executed_actions.map((a) => a.type),
      ['fetch', 'variable_set', 'variable_set', 'variable_set'],
    );
    assert.equal(af.variables['after'], 'yes');
    assert.equal(h.http.fetched[0]?.method, 'POST');
    assert.equal((h.http.fetched[0]?.body as { id: string }).id, id);
  });

  test('fetch answering bad JSON or invalid actions, or timing out, is an action error and the flow moves on', async () => {
    const h = new EngineHarness();
    h.http.fetchImpl = async () => {
      throw new AppError('FETCH_INVALID_JSON', 'the answer is not JSON');
    };
    const bad = await h.ended(
      await h.startCall(
        [
          act(1, 'fetch', { event_url: 'https://example.test/a' }),
          act(2, 'variable_set', { key: 'after', value: 'ran' }),
        ],
        { id: 'bad' },
      ),
    );
    assert.equal(bad.variables['after'], 'ran');
    assert.equal(bad.executed_actions[0]?.error?.code, 'FETCH_INVALID_JSON');

    h.http.fetchImpl = async () => [{ type: 'no_such_action' }];
    const invalid = await h.ended(
      await h.startCall(
        [
          act(1, 'fetch', { event_url: 'https://example.test/b' }),
          act(2, 'variable_set', { key: 'after', value: 'ran' }),
        ],
        { id: 'invalid' },
      ),
    );
    assert.equal(invalid.variables['after'], 'ran');
    assert.equal(invalid.executed_actions[0]?.error?.code, 'INVALID_ACTION');

    h.http.fetchImpl = (_req, signal) =>
      new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    const slowId = await h.startCall(
      [
        act(1, 'fetch', { event_url: 'https://example.test/c' }),
        act(2, 'variable_set', { key: 'after', value: 'ran' }),
      ],
      { id: 'slow' },
    );
    await waitFor(() => h.http.fetched.length === 3 && h.clock.pending > 0, 'fetch timer');
    h.clock.advance(5000);
    const slow = await h.ended(slowId);
    assert.equal(slow.variables['after'], 'ran');
    assert.equal(slow.executed_actions[0]?.error?.code, 'FETCH_TIMEOUT');
    assert.ok(
      h.store.errors().some((e) => e.code === 'FETCH_TIMEOUT'),
      'the error is carried by activeflow_updated',
    );
  });

  test('fetch_flow runs a stored flow next; an unknown flow is an action error', async () => {
    const h = new EngineHarness();
    const flowId = '11111111-1111-4111-8111-111111111111';
    h.flows.flows.set(flowId, {
      id: flowId,
      customer_id: CUSTOMER,
      actions: [
        {
          id: aid(50),
          next_id: '00000000-0000-0000-0000-000000000000',
          type: 'variable_set',
          option: { key: 'from', value: 'stored' },
        },
      ],
    });
    const af = await h.ended(
      await h.startCall([
        act(1, 'fetch_flow', { flow_id: flowId }),
        act(2, 'fetch_flow', { flow_id: '22222222-2222-4222-8222-222222222222' }),
        act(3, 'variable_set', { key: 'end', value: '${from}' }),
      ]),
    );
    assert.equal(af.variables['end'], 'stored');
    assert.equal(af.executed_actions[2]?.error?.code, 'FLOW_NOT_FOUND');
  });

  test('at most 100 lists are pushed; the 101st push is an action error', async () => {
    const h = new EngineHarness();
    h.http.fetchImpl = async () => [{ type: 'variable_set', option: { key: 'n', value: '${n}x' } }];
    const id = await h.startCall([
      act(1, 'fetch', { event_url: 'https://example.test/loop' }),
      act(2, 'goto', { target_id: aid(1), loop_count: 120 }),
    ]);
    const af = await h.ended(id);
    assert.equal(af.variables['n']?.length, 100);
    assert.equal(h.http.fetched.length, 121);
    assert.equal(h.store.errors().filter((e) => e.code === 'TOO_MANY_PUSHED_LISTS').length, 21);
  });
});

describe('flow engine: guards and errors', () => {
  test('an exitless goto loop ends after 1,000 actions with an error event, yielding to the event loop', async () => {
    const h = new EngineHarness();
    let seenDuringLoop: number | undefined;
    const id = await h.startCall([act(1, 'goto', { target_id: aid(1), loop_count: 1000 })]);
    setTimeout(() => (seenDuringLoop = h.store.rows.get(id)?.executed_count), 0);
    const af = await h.ended(id);
    assert.equal(af.executed_count, 1000);
    assert.equal(af.executed_actions.length, 100, 'the history kept is the latest 100');
    assert.ok(
      seenDuringLoop !== undefined && seenDuringLoop < 1000,
      `a timer ran while the loop ran (saw ${seenDuringLoop})`,
    );
    const last = h.store.events.at(-1);
    assert.equal(last?.data.status, 'ended');
    assert.equal(last?.data.error?.code, 'TOO_MANY_ACTIONS');
    assert.deepEqual(h.calls.flowEndedCalls, [`call-1 ${id}`]);
  });

  test('a failing action logs an error event and the flow moves on', async () => {
    const h = new EngineHarness();
    h.http.sendImpl = async () => ({ status: 500 });
    const af = await h.ended(
      await h.startCall([
        act(1, 'webhook_send', { uri: 'https://example.test/hook', sync: true }),
        act(2, 'variable_set', { key: 'after', value: 'ran' }),
      ]),
    );
    assert.equal(af.variables['after'], 'ran');
    assert.equal(af.executed_actions[0]?.error?.code, 'WEBHOOK_FAILED');
    assert.equal(h.store.errors()[0]?.action_id, aid(1));
  });

  test('stop aborts waiting actions (digits_receive, sleep, talk, connect) through the signal', async () => {
    const h = new EngineHarness();
    h.calls.blocking.add('talk');
    const waits: [string, Record<string, unknown>, () => boolean][] = [
      ['digits_receive', { duration: 60_000, length: 4 }, () => h.clock.pending > 0],
      ['sleep', { duration: 60_000 }, () => h.clock.pending > 0],
      ['talk', { text: 'hello' }, () => h.calls.running('talk').length > 0],
      [
        'connect',
        { destinations: [{ type: 'tel', target: '+15550100' }] },
        () => h.calls.dials.length > 0 && h.clock.pending > 0,
      ],
    ];
    for (const [type, option, waiting] of waits) {
      const id = await h.startCall([act(1, type, option), act(2, 'variable_set', { key: 'after', value: 'ran' })], {
        id: `call-${type}`,
      });
      await waitFor(waiting, `${type} to wait`);
      await h.engine.stop(id);
      const af = await h.ended(id);
      assert.equal(af.status, 'ended', type);
      assert.equal(af.variables['after'], undefined, `${type}: nothing runs after a stop`);
      assert.equal(h.clock.pending, 0, `${type}: no timer left`);
    }
    assert.equal(h.calls.running('talk').length, 0);
    assert.ok(h.calls.ops.some((o) => o.op === 'talk' && o.aborted));
    assert.ok(h.calls.log.includes('hangup callee-1 '), 'the connect callee is hung up');
    assert.deepEqual(h.calls.flowEndedCalls, [], 'a stop from the call side is not reported back');
  });

  test('stop with hangupCall (POST /activeflows/{id}/stop) tells the call side; stop is idempotent', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'sleep', { duration: 1000 })]);
    await waitFor(() => h.clock.pending > 0);
    await h.engine.stop(id, { hangupCall: true });
    await h.engine.stop(id, { hangupCall: true });
    await h.engine.stop('unknown');
    await h.ended(id);
    assert.deepEqual(h.calls.flowEndedCalls, [`call-1 ${id}`]);
  });

  test('one operation at a time: a stop waits for the save in progress', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([act(1, 'sleep', { duration: 1000 })]);
    await waitFor(() => h.clock.pending > 0);
    h.store.gate = new Gate();
    h.clock.advance(1000);
    await waitFor(() => h.store.inFlight === 1, 'the save after sleep');
    const stopping = h.engine.stop(id);
    await waitFor(() => false, 'nothing', 50).catch(() => undefined);
    assert.equal(h.store.maxInFlight, 1);
    h.store.gate.open();
    await stopping;
    await h.ended(id);
    assert.equal(h.store.maxInFlight, 1);
  });
});

describe('flow engine: variables and creation', () => {
  test('${…} is substituted in nested option strings just before the action; unknown names become ""', async () => {
    const h = new EngineHarness();
    await h.ended(
      await h.startCall([
        act(1, 'variable_set', { key: 'name', value: 'bob-${voipbin.call.source.target}-${nope}' }),
        act(2, 'play', {
          stream_urls: ['https://media.test/${name}.wav', 'https://media.test/${voipbin.call.direction}.wav'],
        }),
        act(3, 'talk', { text: 'Hi ${name}, flow ${voipbin.flow.id}', language: 'en-US' }),
      ]),
    );
    assert.deepEqual(h.calls.ops.find((o) => o.op === 'play')?.args, [
      'https://media.test/bob-+15550001-.wav',
      'https://media.test/incoming.wav',
    ]);
    const text = (h.calls.ops.find((o) => o.op === 'talk')?.args as { text: string }).text;
    assert.match(text, /^Hi bob-\+15550001-, flow [0-9a-f-]{36}$/);
  });

  test('the voipbin.* variables are set at creation and start, with the request variables', async () => {
    const h = new EngineHarness();
    const id = await h.startCall([], { variables: { lang: 'de' } });
    const af = await h.ended(id);
    assert.equal(af.variables['voipbin.call.id'], 'call-1');
    assert.equal(af.variables['voipbin.call.direction'], 'incoming');
    assert.equal(af.variables['voipbin.call.source.target_name'], 'Alice');
    assert.equal(af.variables['voipbin.call.destination.target'], '+15550002');
    assert.equal(af.variables['voipbin.call.digits'], '');
    assert.equal(af.variables['voipbin.activeflow.id'], id);
    assert.equal(af.variables['voipbin.flow.id'], af.flow_id);
    assert.equal(af.variables['lang'], 'de');
  });

  test('request variables: no voipbin.* keys, at most 100, at most 32 KiB a value, at most 48 KiB in all', async () => {
    const h = new EngineHarness();
    const create = (variables: Record<string, string>) =>
      h.engine.startForApi({ customer_id: CUSTOMER, actions: [], variables });
    await assert.rejects(
      create({ 'voipbin.call.id': 'x' }),
      (e: unknown) => e instanceof ValidationError && e.code === 'INVALID_VARIABLES',
    );
    await assert.rejects(
      create(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'v']))),
      ValidationError,
    );
    await assert.rejects(create({ big: 'x'.repeat(32 * 1024 + 1) }), ValidationError);
    // Two values that fit one by one but not together: the row and each event carry them all.
    await assert.rejects(
      create({ a: 'x'.repeat(30 * 1024), b: 'x'.repeat(30 * 1024) }),
      (e: unknown) => e instanceof ValidationError && e.details[0]?.field === 'variables',
    );
    await create({ ok: 'x'.repeat(32 * 1024) });
    assert.equal(h.store.rows.size, 1);
  });

  test('an API activeflow skips media actions and runs the rest', async () => {
    const h = new EngineHarness();
    const id = await h.startApi([
      act(1, 'talk', { text: 'hello' }),
      act(2, 'hangup'),
      act(3, 'variable_set', { key: 'x', value: 'y' }),
    ]);
    const af = await h.ended(id);
    assert.equal(af.reference_type, 'api');
    assert.deepEqual(
      af.executed_actions.map((a) => [a.type, a.skipped === true]),
      [
        ['talk', true],
        ['hangup', true],
        ['variable_set', false],
      ],
    );
    assert.equal(af.variables['x'], 'y');
    assert.deepEqual(h.calls.log, []);
    assert.deepEqual(h.calls.flowEndedCalls, []);
  });

  test('validate refuses unknown flows and invalid actions; execute runs once', async () => {
    const h = new EngineHarness();
    await assert.rejects(
      h.engine.validate(CUSTOMER, { flow_id: aid(9) }),
      (e: unknown) => e instanceof AppError && e.code === 'FLOW_NOT_FOUND',
    );
    await assert.rejects(
      h.engine.validate(CUSTOMER, { actions: [{ type: 'goto', option: { target_id: aid(9) } }] }),
      ValidationError,
    );
    await assert.rejects(
      h.engine.execute(aid(9)),
      (e: unknown) => e instanceof AppError && e.code === 'ACTIVEFLOW_NOT_FOUND',
    );
    const id = await h.startCall([act(1, 'variable_set', { key: 'n', value: '${n}x' })]);
    await h.engine.execute(id);
    const af = await h.ended(id);
    assert.equal(af.variables['n'], 'x');
    await h.engine.execute(id);
  });

  test('reconcile ends activeflows a previous process left running', async () => {
    const h = new EngineHarness();
    const { activeflow_id: orphan } = await h.engine.create({
      customer_id: CUSTOMER,
      call_id: 'call-x',
      source: { actions: [] },
      variables: {},
    });
    const fresh = new EngineHarness();
    for (const [key, row] of h.store.rows) fresh.store.rows.set(key, row);
    const ended = await fresh.engine.reconcile();
    assert.deepEqual(
      ended.map((a) => a.id),
      [orphan],
    );
    assert.equal(fresh.store.rows.get(orphan)?.status, 'ended');
    assert.deepEqual(await fresh.engine.reconcile(), []);
    await h.engine.close();
  });
});
