import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { MAX_ACTION_DEPTH, MAX_FLOW_ACTIONS, checkFlowLimits, validateFlowActions } from './flow-action-validator.ts';

function issuesOf(run: () => unknown): FieldIssue[] {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return [...err.details];
  }
  assert.fail('expected a ValidationError');
}

/** `{a: {a: … leaf}}`, `levels` objects deep, built without recursion. */
function nested(levels: number, leaf: unknown = 0): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function path(levels: number): string {
  return '.a'.repeat(levels);
}

/** An array whose item reads are counted: the work done on it, whatever reads it. */
function counted<T>(items: T[]): { list: T[]; reads: () => number } {
  let reads = 0;
  const list = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  return { list, reads: () => reads };
}

const CALL = { destinations: [{ type: 'tel', target: '+821012345678' }] };

describe('validateFlowActions: size limits before anything recursive', () => {
  it('an option nested 400,000 deep is ACTION_TOO_DEEP on the field where level 33 starts', () => {
    const issues = issuesOf(() => validateFlowActions([{ type: 'answer', option: nested(400_000) }]));
    assert.deepEqual(
      issues.map((i) => [i.field, i.reason]),
      [[`actions[0].option${path(MAX_ACTION_DEPTH)}`, 'ACTION_TOO_DEEP']],
    );
  });

  it(`an option ${MAX_ACTION_DEPTH} levels deep is only checked against its schema; one more is refused`, () => {
    const at = issuesOf(() => validateFlowActions([{ type: 'talk', option: nested(MAX_ACTION_DEPTH) }]));
    assert.ok(
      at.every((i) => i.reason !== 'ACTION_TOO_DEEP'),
      JSON.stringify(at),
    );
    const over = issuesOf(() => validateFlowActions([{ type: 'talk', option: nested(MAX_ACTION_DEPTH + 1) }]));
    assert.deepEqual(
      over.map((i) => i.reason),
      ['ACTION_TOO_DEEP'],
    );
  });

  it('deep values outside an option, deep entries and a deep answer that is no list are refused too', () => {
    const extra = issuesOf(() => validateFlowActions([{ type: 'answer', extra: nested(5_000) }]));
    assert.equal(extra[0]?.field, `actions[0].extra${path(MAX_ACTION_DEPTH)}`);
    let deepArray: unknown = [];
    for (let i = 0; i < 5_000; i++) deepArray = [deepArray];
    const entry = issuesOf(() => validateFlowActions([{ type: 'answer' }, deepArray]));
    assert.deepEqual(
      entry.map((i) => [i.field, i.reason]),
      [[`actions[1]${'[0]'.repeat(MAX_ACTION_DEPTH + 1)}`, 'ACTION_TOO_DEEP']],
    );
    // A fetch answer that is an object, not a list: one action's worth of nesting.
    const answer = issuesOf(() => validateFlowActions(nested(5_000), { fieldPrefix: 'fetch' }));
    assert.deepEqual(
      answer.map((i) => [i.field, i.reason]),
      [[`fetch${path(MAX_ACTION_DEPTH + 1)}`, 'ACTION_TOO_DEEP']],
    );
  });

  it('an inline list over 1,000 actions is refused without reading its actions', () => {
    const { list, reads } = counted(Array.from({ length: 200_000 }, () => ({})));
    const issues = issuesOf(() => validateFlowActions([{ type: 'call', option: { ...CALL, actions: list } }]));
    assert.deepEqual(issues, [
      {
        field: 'actions[0].option.actions',
        reason: 'TOO_MANY_ITEMS',
        message: 'has 200000 items, at most 1000 allowed',
      },
    ]);
    assert.equal(reads(), 0);
  });

  it(`lists holding more than ${MAX_FLOW_ACTIONS} actions in all are refused at the list that passes the sum`, () => {
    const inline = () => Array.from({ length: 1_000 }, () => ({ type: 'beep' }));
    const flow = Array.from({ length: 11 }, () => ({ type: 'call', option: { ...CALL, actions: inline() } }));
    const issues = issuesOf(() => checkFlowLimits(flow));
    assert.deepEqual(
      issues.map((i) => [i.field, i.reason]),
      [['actions[9].option.actions', 'TOO_MANY_ITEMS']],
    );
    // Nine such lists beside their nine actions are within the sum.
    assert.equal(validateFlowActions(flow.slice(0, 9)).length, 9);
  });

  it('checkFlowLimits passes a valid flow and names its prefix', () => {
    checkFlowLimits([{ type: 'call', option: { ...CALL, actions: [{ type: 'talk', option: { text: 'hi' } }] } }]);
    const issues = issuesOf(() => checkFlowLimits([{ type: 'answer', option: nested(40) }], { fieldPrefix: 'x' }));
    assert.equal(issues[0]?.field, `x[0].option${path(MAX_ACTION_DEPTH)}`);
  });
});
