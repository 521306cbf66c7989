import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSupportedLanguage, listVoices } from '../../media/index.ts';
import { validateFlowActions } from '../flow-action-validator.ts';
import { act, aid } from '../testing/action-ids.ts';
import { lintFlow } from './lint-flow.ts';
import type { LintContext, LintWarning } from './lint-types.ts';

const voices = new Set(listVoices().map((v) => v.voice_id));
const CONTEXT: LintContext = {
  isSupportedLanguage,
  isSupportedVoice: (id) => voices.has(id),
  extensionExists: async (name) => name === '100',
};

/** Lints a flow that validation accepts (as `POST /flows` would store it). */
async function lint(actions: unknown[], context: LintContext = CONTEXT): Promise<LintWarning[]> {
  return lintFlow(validateFlowActions(actions, { isSupportedLanguage }), context);
}

/** The warnings as `CODE id` lines, in the order the linter gives them. */
function found(warnings: readonly LintWarning[]): string[] {
  return warnings.map((w) => `${w.code} ${w.action_id}`);
}

describe('lintFlow', () => {
  it('finds nothing in a clean IVR: answer, talk, digits_receive, branch with default, goto with loop_count, hangup', async () => {
    const ivr = [
      act(1, 'answer'),
      act(2, 'talk', {
        text: 'Press 1 for sales or 2 for support',
        language: 'en-US',
        voice_id: 'espeak-en-US-female',
      }),
      act(3, 'digits_receive', { duration: 5000, length: 1 }),
      act(4, 'branch', { target_ids: { '1': aid(5), '2': aid(6) }, default_target_id: aid(7) }),
      act(5, 'talk', { text: 'Sales' }, 8),
      act(6, 'connect', { destinations: [{ type: 'extension', target: '100' }] }, 8),
      act(7, 'goto', { target_id: aid(2), loop_count: 2 }),
      act(8, 'hangup'),
    ];
    assert.deepEqual(await lint(ivr), []);
  });

  it('UNREACHABLE_ACTION: an action after a hangup that nothing jumps to', async () => {
    const warnings = await lint([act(1, 'answer'), act(2, 'hangup'), act(3, 'talk', { text: 'never said' })]);
    assert.deepEqual(found(warnings), [`UNREACHABLE_ACTION ${aid(3)}`]);
    assert.equal(warnings[0]?.field, 'actions[2]');
  });

  it('LOOP_WITHOUT_EXIT and NO_HANGUP: a branch whose every way leads back', async () => {
    const warnings = await lint([
      act(1, 'answer'),
      act(2, 'digits_receive', { length: 1 }),
      act(3, 'branch', { target_ids: { '1': aid(2) }, default_target_id: aid(2) }),
      act(4, 'hangup'),
    ]);
    assert.deepEqual(found(warnings).sort(), [
      `LOOP_WITHOUT_EXIT ${aid(3)}`,
      `NO_HANGUP ${aid(1)}`,
      `UNREACHABLE_ACTION ${aid(4)}`,
    ]);
    // A goto's fall-through that leads back into its own loop is no exit either (its count starts again).
    const again = await lint([act(1, 'talk', { text: 'hi' }), act(2, 'goto', { target_id: aid(1), loop_count: 3 }, 1)]);
    assert.deepEqual(found(again).sort(), [`LOOP_WITHOUT_EXIT ${aid(2)}`, `NO_HANGUP ${aid(1)}`]);
  });

  it('no NO_HANGUP when the flow runs out of actions (the call is hung up then)', async () => {
    assert.deepEqual(await lint([act(1, 'answer'), act(2, 'talk', { text: 'bye' })]), []);
    assert.deepEqual(await lint([act(1, 'answer'), act(2, 'talk', { text: 'bye' }), act(3, 'stop')]), []);
  });

  it('LOOP_EXCEEDS_GUARD: one loop count past the guard, and two whose product is', async () => {
    const single = (count: number) => [
      act(1, 'answer'),
      act(2, 'talk', { text: 'hold on' }),
      act(3, 'goto', { target_id: aid(2), loop_count: count }),
      act(4, 'hangup'),
    ];
    assert.deepEqual(found(await lint(single(600))), [`LOOP_EXCEEDS_GUARD ${aid(3)}`]);
    assert.deepEqual(await lint(single(400)), []);
    const nested = await lint([
      act(1, 'answer'),
      act(2, 'talk', { text: 'hold on' }),
      act(3, 'goto', { target_id: aid(2), loop_count: 20 }),
      act(4, 'goto', { target_id: aid(1), loop_count: 30 }),
      act(5, 'hangup'),
    ]);
    assert.deepEqual(found(nested), [`LOOP_EXCEEDS_GUARD ${aid(4)}`]);
    assert.match(nested[0]?.message ?? '', /about 1,364 actions \(4 actions, loop_count 20 × 30\)/);
  });

  it('GOTO_NEVER_JUMPS: a goto without loop_count falls through', async () => {
    const warnings = await lint([
      act(1, 'answer'),
      act(2, 'talk', { text: 'hi' }),
      act(3, 'goto', { target_id: aid(2) }),
      act(4, 'hangup'),
    ]);
    assert.deepEqual(found(warnings), [`GOTO_NEVER_JUMPS ${aid(3)}`]);
  });

  it('VARIABLE_NEVER_SET: a ${…} or branch variable nobody sets; built-ins, set and preset names excepted', async () => {
    const flow = [
      act(1, 'variable_set', { key: 'name', value: 'Ada' }),
      act(2, 'talk', { text: 'Hello ${name}, order ${order_id}, call ${voipbin.call.id} ${callbin.node}' }),
      act(3, 'branch', { variable: 'choice', default_target_id: aid(4) }),
      act(4, 'hangup'),
    ];
    assert.deepEqual(found(await lint(flow)), [`VARIABLE_NEVER_SET ${aid(2)}`, `VARIABLE_NEVER_SET ${aid(3)}`]);
    assert.deepEqual(await lint(flow, { ...CONTEXT, presetVariables: ['order_id', 'choice'] }), []);
  });

  it('BRANCH_WITHOUT_DEFAULT', async () => {
    const warnings = await lint([
      act(1, 'digits_receive', { length: 1 }),
      act(2, 'branch', { target_ids: { '1': aid(3) } }),
      act(3, 'hangup'),
    ]);
    assert.deepEqual(found(warnings), [`BRANCH_WITHOUT_DEFAULT ${aid(2)}`]);
  });

  it('DIGITS_NOT_USED: collected digits nothing reads; a ${voipbin.call.digits} or condition reads them', async () => {
    const flow = (reader: Record<string, unknown>) => [
      act(1, 'digits_receive', { length: 4 }),
      reader,
      act(3, 'hangup'),
    ];
    assert.deepEqual(found(await lint(flow(act(2, 'talk', { text: 'thanks' })))), [`DIGITS_NOT_USED ${aid(1)}`]);
    assert.deepEqual(await lint(flow(act(2, 'talk', { text: 'you pressed ${voipbin.call.digits}' }))), []);
    assert.deepEqual(await lint(flow(act(2, 'condition_call_digits', { length: 4, false_target_id: aid(3) }))), []);
  });

  it('TALK_UNSPEAKABLE: unknown language or voice, and a text empty once variables are substituted', async () => {
    const warnings = await lintFlow(
      [
        act(1, 'talk', { text: 'hi', language: 'xx-YY' }),
        act(2, 'talk', { text: 'hi', voice_id: 'nobody' }),
        act(3, 'talk', { text: '<speak> ${voipbin.call.digits} </speak>' }),
        act(4, 'variable_set', { key: 'greeting', value: 'Hello' }),
        act(5, 'talk', { text: '${greeting}' }),
        act(6, 'hangup'),
      ],
      CONTEXT,
    );
    assert.deepEqual(found(warnings), [
      `TALK_UNSPEAKABLE ${aid(1)}`,
      `TALK_UNSPEAKABLE ${aid(2)}`,
      `TALK_UNSPEAKABLE ${aid(3)}`,
    ]);
    assert.match(warnings[0]?.message ?? '', /language "xx-YY"/);
  });

  it('UNKNOWN_EXTENSION: a connect to an extension the customer does not have (lookup injected)', async () => {
    const flow = [
      act(1, 'connect', {
        destinations: [
          { type: 'extension', target: '100' },
          { type: 'extension', target: '200' },
        ],
      }),
      act(2, 'hangup'),
    ];
    const warnings = await lint(flow);
    assert.deepEqual(found(warnings), [`UNKNOWN_EXTENSION ${aid(1)}`]);
    assert.match(warnings[0]?.message ?? '', /"200"/);
    assert.deepEqual(await lint(flow, {}), [], 'without a lookup the check is skipped');
  });

  it('lints inline call.actions as their own flow, with their field paths', async () => {
    const warnings = await lint([
      act(1, 'variable_set', { key: 'x', value: 'outer' }),
      act(2, 'call', {
        destinations: [{ type: 'tel', target: '+15550002000' }],
        actions: [act(11, 'talk', { text: 'value ${x}' }), act(12, 'hangup'), act(13, 'beep')],
      }),
      act(3, 'hangup'),
    ]);
    assert.deepEqual(
      warnings.map((w) => `${w.code} ${w.action_id} ${w.field}`),
      [
        `VARIABLE_NEVER_SET ${aid(11)} actions[1].option.actions[0]`,
        `UNREACHABLE_ACTION ${aid(13)} actions[1].option.actions[2]`,
      ],
    );
  });

  it('a fetch list is unknown: it may jump anywhere, set any variable, read the digits and hang up', async () => {
    const fetch = act(2, 'fetch', { event_url: 'https://example.com/next' });
    const warnings = await lint([
      act(1, 'digits_receive', { length: 1 }),
      fetch,
      act(3, 'talk', { text: 'hello ${from_server}' }, 2),
      act(4, 'talk', { text: 'reached only by a fetched jump' }),
    ]);
    assert.deepEqual(warnings, []);
    // Without the fetch, the same flow has each problem.
    const without = await lint([
      act(1, 'digits_receive', { length: 1 }),
      act(2, 'talk', { text: 'hi' }),
      act(3, 'talk', { text: 'hello ${from_server}' }, 2),
      act(4, 'talk', { text: 'reached only by a fetched jump' }),
    ]);
    assert.deepEqual(found(without).sort(), [
      `DIGITS_NOT_USED ${aid(1)}`,
      `LOOP_WITHOUT_EXIT ${aid(3)}`,
      `NO_HANGUP ${aid(1)}`,
      `UNREACHABLE_ACTION ${aid(4)}`,
      `VARIABLE_NEVER_SET ${aid(3)}`,
    ]);
  });
});
