import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { simulate } from './index.ts';
import type { SimulationOutput } from './index.ts';

const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';
const id = (n: number): string => `a0000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
const SALES_URL = 'https://crm.example.com/sales';

/** An IVR: answer, menu, one digit, branch (1 sales by fetch, 2 support by connect, else goodbye). */
const IVR = [
  { id: id(1), type: 'answer' },
  { id: id(2), type: 'talk', option: { text: 'Press 1 for sales, 2 for support' } },
  { id: id(3), type: 'digits_receive', option: { duration: 5000, length: 1 } },
  { id: id(4), type: 'branch', option: { target_ids: { '1': id(5), '2': id(7) }, default_target_id: id(9) } },
  { id: id(5), type: 'fetch', option: { event_url: SALES_URL } },
  // No id: the validator draws one at random, which the output must still show the same way each run.
  { type: 'hangup' },
  { id: id(7), type: 'connect', option: { destinations: [{ type: 'tel', target: '+15550100' }], relay_reason: true } },
  { id: id(8), type: 'hangup' },
  { id: id(9), type: 'talk', option: { text: 'Goodbye' } },
  { id: id(10), type: 'hangup' },
];
const PUSHED = [{ id: id(20), type: 'talk', option: { text: 'Sales speaking' } }];

function run(script: Record<string, unknown>, flow: readonly unknown[] = IVR): Promise<SimulationOutput> {
  return simulate({ customer_id: CUSTOMER, flow: { actions: flow }, script: { direction: 'incoming', ...script } });
}

/** `type:result` for each action that ended, in order. */
function ended(out: SimulationOutput): string[] {
  return out.steps.filter((s) => s.event === 'end').map((s) => `${s.action_type}:${s.result}`);
}

const SCRIPTS: Record<string, { script: Record<string, unknown>; steps: string[]; hangup: string }> = {
  'digit 1: sales through fetch': {
    script: { dtmf: [{ at_ms: 3000, digits: '1' }], http: { [SALES_URL]: { status: 200, body: PUSHED } } },
    steps: [
      'answer:answered',
      'talk:played',
      'digits_receive:received',
      'branch:ok',
      'fetch:ok',
      'talk:played',
      'hangup:ok',
    ],
    hangup: 'local normal',
  },
  'digit 2: support answers': {
    script: {
      dtmf: [{ at_ms: 3000, digits: '2' }],
      callees: { '+15550100': { answer: true, after_ms: 4000, hangup_after_ms: 30_000 } },
    },
    steps: ['answer:answered', 'talk:played', 'digits_receive:received', 'branch:ok', 'connect:answered', 'hangup:ok'],
    hangup: 'local normal',
  },
  'another digit: goodbye': {
    script: { dtmf: [{ at_ms: 3000, digits: '7' }] },
    steps: ['answer:answered', 'talk:played', 'digits_receive:received', 'branch:ok', 'talk:played', 'hangup:ok'],
    hangup: 'local normal',
  },
  'no digit: the input times out': {
    script: {},
    steps: ['answer:answered', 'talk:played', 'digits_receive:timeout', 'branch:ok', 'talk:played', 'hangup:ok'],
    hangup: 'local normal',
  },
  'digit 2: the callee is busy': {
    script: { dtmf: [{ at_ms: 3000, digits: '2' }], callees: { '+15550100': { answer: false, after_ms: 2000 } } },
    // relay_reason ends the answered caller's call; callbin records a local hangup of an answered call as normal.
    steps: ['answer:answered', 'talk:played', 'digits_receive:received', 'branch:ok', 'connect:busy'],
    hangup: 'local normal',
  },
};

describe('simulator: the real flow engine on a simulated call', () => {
  for (const [name, { script, steps, hangup }] of Object.entries(SCRIPTS)) {
    it(`IVR, ${name}: the expected steps, the same bytes twice`, async () => {
      const first = await run(script);
      const second = await run(script);
      assert.deepEqual(ended(first), steps);
      assert.equal(`${first.hangup?.by} ${first.hangup?.reason}`, hangup);
      assert.equal(first.stopped, null);
      assert.equal(JSON.stringify(first), JSON.stringify(second));
    });
  }

  it('times come from the virtual clock: the menu takes its documented speech time, the timeout its duration', async () => {
    const out = await run({});
    const at = (type: string, event: string) =>
      out.steps.find((s) => s.action_type === type && s.event === event)?.at_ms;
    // 400 ms + 60 ms × 32 characters.
    assert.equal(at('talk', 'end'), 2320);
    assert.equal(at('digits_receive', 'end'), 2320 + 5000);
    assert.equal(out.steps[0]?.tm, '2026-01-01T00:00:00.000Z');
  });

  it('the branch taken, the callee and the events are in the output', async () => {
    const out = await run(SCRIPTS['digit 2: support answers']?.script ?? {});
    const branch = out.steps.find((s) => s.action_type === 'branch' && s.event === 'end');
    assert.equal(branch?.next_action_id, id(7));
    const types = new Set(out.events.map((e) => e.type));
    for (const t of ['call_created', 'call_progressing', 'call_hangup', 'dtmf_received', 'activeflow_created'])
      assert.ok(types.has(t), t);
    const callees = out.events.filter((e) => e.type === 'call_created').length;
    assert.equal(callees, 2);
  });

  it('a ten-minute sleep simulates in well under a second', async () => {
    const start = performance.now();
    const out = await run({}, [{ id: id(1), type: 'sleep', option: { duration: 600_000 } }]);
    const elapsed = performance.now() - start;
    console.log(`10-minute sleep simulated in ${elapsed.toFixed(1)} ms`);
    assert.equal(out.duration_ms, 600_000);
    assert.deepEqual(ended(out), ['sleep:ok']);
    assert.ok(elapsed < 1000, `${elapsed} ms`);
  });

  it('expectations are checked: met and unmet, each named', async () => {
    const out = await run({
      dtmf: [{ at_ms: 3000, digits: '7' }],
      expect: {
        branch_taken: [id(4), id(10)],
        variable: { 'voipbin.call.digits': '7' },
        hangup_reason: 'normal',
        webhook_called: ['https://hooks.example.com/done'],
      },
    });
    const met = Object.fromEntries(out.expectations.map((e) => [e.expectation, e.met]));
    assert.deepEqual(met, {
      [`branch_taken ${id(4)} → ${id(10)}`]: true,
      // The branch resets the variable it read.
      'variable voipbin.call.digits = "7"': false,
      'hangup_reason normal': true,
      'webhook_called https://hooks.example.com/done': false,
    });
  });

  it('an outgoing call that is busy runs no action; one nobody hangs up stops with nothing left', async () => {
    const busy = await simulate({
      customer_id: CUSTOMER,
      flow: { actions: IVR },
      script: { answer: { result: 'busy' } },
    });
    assert.deepEqual(busy.steps, []);
    assert.deepEqual(busy.hangup && [busy.hangup.by, busy.hangup.reason], ['remote', 'busy']);
    const stuck = await run({ dtmf: [{ at_ms: 3000, digits: '2' }], callees: { '+15550100': { answer: true } } });
    assert.equal(stuck.stopped?.reason, 'nothing_left');
  });

  it('virtual time is bounded: a flow past 24 h stops and says so', async () => {
    const loop = [
      { id: id(1), type: 'sleep', option: { duration: 3_600_000 } },
      { id: id(2), type: 'goto', option: { target_id: id(1), loop_count: 100 } },
    ];
    const out = await run({}, loop);
    assert.equal(out.stopped?.reason, 'max_virtual_time');
    assert.ok(out.duration_ms <= 24 * 3_600_000);
  });

  it('a bad script is a 400 naming the field', async () => {
    await assert.rejects(
      run({ dtmf: [{ at_ms: -1, digits: 'x' }] }),
      (err: { code: string; details: { field: string }[] }) => {
        assert.equal(err.code, 'INVALID_ARGUMENT');
        assert.ok(err.details.some((d) => d.field.startsWith('script.dtmf')));
        return true;
      },
    );
  });
});
