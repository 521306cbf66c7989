import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUuid, NIL_UUID, ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { MAX_VALIDATION_DETAILS, validateFlowActions } from './flow-action-validator.ts';
import type { ValidateFlowActionsOptions } from './flow-action-validator.ts';

const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

function issuesOf(input: unknown, opts: ValidateFlowActionsOptions = {}): FieldIssue[] {
  try {
    validateFlowActions(input, opts);
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return [...err.details];
  }
  assert.fail('expected a ValidationError');
}

function onlyIssue(input: unknown, opts: ValidateFlowActionsOptions = {}): FieldIssue {
  const issues = issuesOf(input, opts);
  assert.equal(issues.length, 1, JSON.stringify(issues));
  return issues[0] as FieldIssue;
}

function connectTo(target: string, type = 'tel'): unknown[] {
  return [{ type: 'connect', option: { destinations: [{ type, target }] } }];
}

describe('validateFlowActions', () => {
  it('fills missing ids with fresh UUIDs, next_id with the nil UUID and option with {}', () => {
    const actions = validateFlowActions([
      { type: 'answer' },
      { id: A, type: 'talk', option: { text: 'hi' } },
      { type: 'hangup' },
    ]);
    assert.equal(actions.length, 3);
    assert.ok(isUuid(actions[0]?.id ?? ''));
    assert.notEqual(actions[0]?.id, actions[2]?.id);
    assert.equal(actions[1]?.id, A);
    assert.ok(actions.every((a) => a.next_id === NIL_UUID));
    assert.deepEqual(actions[0]?.option, {});
    assert.deepEqual(actions[1]?.option, { text: 'hi' });
  });

  it('refuses an unknown type on the type field', () => {
    const issue = onlyIssue([{ type: 'answer' }, { type: 'dance' }]);
    assert.deepEqual(issue, {
      field: 'actions[1].type',
      reason: 'INVALID_ACTION',
      message: '"dance" is not an action type',
    });
  });

  it('refuses an unknown option key and names it', () => {
    const issue = onlyIssue([{ type: 'talk', option: { text: 'hi', volume: 3 } }]);
    assert.equal(issue.field, 'actions[0].option.volume');
    assert.equal(issue.reason, 'INVALID_ACTION');
    assert.match(issue.message, /unknown field "volume"/);
  });

  it('refuses a mistyped option and shows the value', () => {
    const issue = onlyIssue([{ type: 'sleep', option: { duration: '1000' } }]);
    assert.deepEqual(issue, {
      field: 'actions[0].option.duration',
      reason: 'INVALID_ACTION',
      message: '"1000" is not an integer',
    });
  });

  it('goto: a target in the same list is accepted, a missing one is INVALID_ACTION_TARGET', () => {
    const ok = validateFlowActions([
      { id: A, type: 'answer' },
      { type: 'goto', option: { target_id: A, loop_count: 2 } },
    ]);
    assert.equal(ok[1]?.option['target_id'], A);
    const issue = onlyIssue([
      { id: A, type: 'answer' },
      { type: 'goto', option: { target_id: 'abc' } },
    ]);
    assert.deepEqual(issue, {
      field: 'actions[1].option.target_id',
      reason: 'INVALID_ACTION_TARGET',
      message: '"abc" is not the id of an action in this flow',
    });
    const err = (() => {
      try {
        validateFlowActions([{ type: 'goto', option: { target_id: 'abc' } }]);
      } catch (e) {
        return e as ValidationError;
      }
      assert.fail('expected a ValidationError');
    })();
    assert.equal(err.code, 'INVALID_ACTION_TARGET');
    assert.equal(err.message, 'actions[0].option.target_id: "abc" is not the id of an action in this flow');
  });

  it('branch: every target id and the default are resolved within the list', () => {
    const flow = [
      { id: A, type: 'talk', option: { text: 'press 1' } },
      { id: B, type: 'hangup' },
      { type: 'branch', option: { target_ids: { '1': A, '2': B, '3': 'gone' }, default_target_id: 'also-gone' } },
    ];
    const issues = issuesOf(flow);
    assert.deepEqual(
      issues.map((i) => [i.field, i.reason]),
      [
        ['actions[2].option.target_ids["3"]', 'INVALID_ACTION_TARGET'],
        ['actions[2].option.default_target_id', 'INVALID_ACTION_TARGET'],
      ],
    );
    const ok = validateFlowActions([
      flow[0],
      flow[1],
      { type: 'branch', option: { target_ids: { '1': A }, default_target_id: B } },
    ]);
    assert.equal(ok.length, 3);
  });

  it('condition false_target_id and next_id must name an action; the nil UUID means unset', () => {
    assert.doesNotThrow(() =>
      validateFlowActions([
        {
          type: 'condition_variable',
          next_id: NIL_UUID,
          option: { condition: '==', variable: 'x', value_type: 'string', false_target_id: NIL_UUID },
        },
      ]),
    );
    const issues = issuesOf([
      { id: A, type: 'answer', next_id: B },
      {
        type: 'condition_variable',
        option: { condition: '==', variable: 'x', value_type: 'string', false_target_id: B },
      },
    ]);
    assert.deepEqual(
      issues.map((i) => [i.field, i.reason]),
      [
        ['actions[0].next_id', 'INVALID_ACTION_TARGET'],
        ['actions[1].option.false_target_id', 'INVALID_ACTION_TARGET'],
      ],
    );
  });

  it('refuses duplicate ids with DUPLICATE_ACTION_ID on the later one', () => {
    const issue = onlyIssue([
      { id: A, type: 'answer' },
      { id: B, type: 'beep' },
      { id: A, type: 'hangup' },
    ]);
    assert.equal(issue.field, 'actions[2].id');
    assert.equal(issue.reason, 'DUPLICATE_ACTION_ID');
    assert.match(issue.message, /actions\[0\]/);
  });

  it('refuses an id that is not a UUID', () => {
    assert.equal(onlyIssue([{ id: 'start', type: 'answer' }]).field, 'actions[0].id');
  });

  it('refuses tel destinations that are not strict E.164 with INVALID_E164', () => {
    for (const target of ['+1 (606) 206-7563', '16062067563']) {
      const issue = onlyIssue(connectTo(target));
      assert.equal(issue.field, 'actions[0].option.destinations[0].target');
      assert.equal(issue.reason, 'INVALID_E164');
      assert.ok(issue.message.includes(JSON.stringify(target)), issue.message);
    }
    assert.doesNotThrow(() => validateFlowActions(connectTo('+16062067563')));
  });

  it('refuses an extension name with punctuation with INVALID_EXTENSION', () => {
    const issue = onlyIssue(connectTo('ab-12', 'extension'));
    assert.deepEqual([issue.field, issue.reason], ['actions[0].option.destinations[0].target', 'INVALID_EXTENSION']);
    assert.doesNotThrow(() => validateFlowActions(connectTo('ab12', 'extension')));
  });

  it('asks isSupportedLanguage about talk.language', () => {
    const asked: string[] = [];
    const isSupportedLanguage = (tag: string): boolean => {
      asked.push(tag);
      return tag === 'en-US';
    };
    const issue = onlyIssue([{ type: 'talk', option: { text: 'hallo', language: 'xx-YY' } }], { isSupportedLanguage });
    assert.deepEqual([issue.field, issue.reason], ['actions[0].option.language', 'UNSUPPORTED_LANGUAGE']);
    assert.doesNotThrow(() =>
      validateFlowActions([{ type: 'talk', option: { text: 'hi', language: 'en-US' } }], { isSupportedLanguage }),
    );
    assert.deepEqual(asked, ['xx-YY', 'en-US']);
  });

  it('refuses a time zone the runtime does not know with INVALID_TIMEZONE', () => {
    for (const timezone of ['Mars/Olympus_Mons', 'not a zone']) {
      const issue = onlyIssue([{ type: 'condition_datetime', option: { condition: '==', timezone } }]);
      assert.deepEqual([issue.field, issue.reason], ['actions[0].option.timezone', 'INVALID_TIMEZONE']);
    }
    assert.doesNotThrow(() =>
      validateFlowActions([{ type: 'condition_datetime', option: { condition: '==', timezone: 'Asia/Seoul' } }]),
    );
  });

  it('reports many problems at once but caps the details at 20', () => {
    const flow = Array.from({ length: 30 }, () => ({ type: 'sleep', option: { duration: 'long' } }));
    const issues = issuesOf(flow);
    assert.equal(issues.length, MAX_VALIDATION_DETAILS);
    assert.equal(MAX_VALIDATION_DETAILS, 20);
    assert.deepEqual(
      issues.slice(0, 3).map((i) => i.field),
      ['actions[0].option.duration', 'actions[1].option.duration', 'actions[2].option.duration'],
    );
  });

  it('refuses input that is not an array on the prefix field', () => {
    assert.deepEqual(onlyIssue({ type: 'answer' }, { fieldPrefix: 'body.actions' }), {
      field: 'body.actions',
      reason: 'INVALID_ACTION',
      message: '{"type":"answer"} is not an array of actions',
    });
    assert.equal(onlyIssue(null).field, 'actions');
  });

  it('refuses more actions than maxActions', () => {
    const issue = onlyIssue([{ type: 'answer' }, { type: 'beep' }, { type: 'stop' }], { maxActions: 2 });
    assert.deepEqual([issue.field, issue.reason], ['actions', 'INVALID_ACTION']);
    assert.equal(validateFlowActions([{ type: 'answer' }, { type: 'beep' }], { maxActions: 2 }).length, 2);
  });

  it('refuses entries that are not action objects and unknown top-level fields', () => {
    const issues = issuesOf([1, { type: 'answer', label: 'x' }, { type: 'beep', option: [] }]);
    assert.deepEqual(
      issues.map((i) => [i.field, i.reason]),
      [
        ['actions[0]', 'INVALID_ACTION'],
        ['actions[1].label', 'INVALID_ACTION'],
        ['actions[2].option', 'INVALID_ACTION'],
      ],
    );
  });

  it('call: inline actions are validated as their own list and stored normalized', () => {
    const dest = [{ type: 'tel', target: '+821012345678' }];
    const [call] = validateFlowActions([
      { type: 'call', option: { destinations: dest, actions: [{ type: 'talk', option: { text: 'hi' } }] } },
    ]);
    const nested = call?.option['actions'] as { id: string; next_id: string }[];
    assert.ok(isUuid(nested[0]?.id ?? ''));
    assert.equal(nested[0]?.next_id, NIL_UUID);
    const issue = onlyIssue([
      { id: A, type: 'answer' },
      { type: 'call', option: { destinations: dest, actions: [{ type: 'goto', option: { target_id: A } }] } },
    ]);
    assert.deepEqual(
      [issue.field, issue.reason],
      ['actions[1].option.actions[0].option.target_id', 'INVALID_ACTION_TARGET'],
    );
    assert.equal(onlyIssue([{ type: 'call', option: { destinations: dest } }]).field, 'actions[0].option.flow_id');
  });

  it('does not mutate its input', () => {
    const input = [
      {
        type: 'call',
        option: { destinations: [{ type: 'tel', target: '+16062067563' }], actions: [{ type: 'answer' }] },
      },
    ];
    const before = structuredClone(input);
    validateFlowActions(input);
    assert.deepEqual(input, before);
  });
});
