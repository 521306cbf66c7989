import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError } from '../../shared/index.ts';
import { validateFlowActions } from '../flow-action-validator.ts';
import { isActionType } from './action-types.ts';
import { MISSING_SERVICE_ACTIONS } from './missing-services.ts';

/**
 * Every action type VoIPBIN's flow manager knows: the 40 of its OpenAPI document's
 * `FlowManagerActionType`, and `ai_task`, `block` and `chatbot_talk` of its service source.
 */
const VOIPBIN_ACTION_TYPES = [
  'ai_talk',
  'ai_summary',
  'ai_task',
  'amd',
  'answer',
  'beep',
  'block',
  'branch',
  'call',
  'chatbot_talk',
  'condition_call_digits',
  'condition_call_status',
  'condition_datetime',
  'condition_variable',
  'confbridge_join',
  'conference_join',
  'connect',
  'conversation_send',
  'digits_receive',
  'digits_send',
  'echo',
  'email_send',
  'external_media_start',
  'external_media_stop',
  'fetch',
  'fetch_flow',
  'goto',
  'hangup',
  'message_send',
  'mute',
  'play',
  'queue_join',
  'recording_start',
  'recording_stop',
  'sleep',
  'stop',
  'stream_echo',
  'talk',
  'transcribe_start',
  'transcribe_stop',
  'transcribe_recording',
  'variable_set',
  'webhook_send',
] as const;

/** The service each refused type must name in its message. */
const SERVICE_NAMED: Record<string, RegExp> = {
  ai_talk: /AI voice assistant service/,
  ai_summary: /AI summary service/,
  ai_task: /AI agent service/,
  chatbot_talk: /chatbot service/,
  transcribe_start: /transcription service/,
  transcribe_stop: /transcription service/,
  transcribe_recording: /transcription service/,
  message_send: /SMS messaging service/,
  email_send: /email service/,
  conversation_send: /conversation \(messaging channel\) service/,
  queue_join: /call queue service/,
  block: /resumes a blocked activeflow/,
};

function issuesOf(actions: unknown[]): { field: string; reason: string; message: string }[] {
  try {
    validateFlowActions(actions);
    return [];
  } catch (err) {
    assert.ok(err instanceof ValidationError, String(err));
    return [...err.details];
  }
}

describe("VoIPBIN's action types", () => {
  for (const type of VOIPBIN_ACTION_TYPES) {
    test(`${type}: callbin runs it, or refuses it naming the missing service`, () => {
      const onType = issuesOf([{ type: 'answer' }, { type }]).filter((i) => i.field === 'actions[1].type');
      if (isActionType(type)) {
        assert.equal(MISSING_SERVICE_ACTIONS[type], undefined, `${type} is run, not refused`);
        assert.deepEqual(onType, [], `${type} is accepted as a type (its options may still be checked)`);
        return;
      }
      const expected = SERVICE_NAMED[type];
      assert.ok(expected, `${type} is neither run nor refused with a service`);
      assert.equal(onType.length, 1, JSON.stringify(onType));
      assert.equal(onType[0]?.reason, 'ACTION_NOT_SUPPORTED');
      assert.match(onType[0]?.message ?? '', new RegExp(`^${type} needs `));
      assert.match(onType[0]?.message ?? '', expected);
      assert.match(onType[0]?.message ?? '', /which callbin does not have$/);
    });
  }

  test('every refused type is one of VoIPBIN’s, and every VoIPBIN type is counted once', () => {
    const voipbin = new Set<string>(VOIPBIN_ACTION_TYPES);
    assert.equal(voipbin.size, VOIPBIN_ACTION_TYPES.length);
    for (const type of Object.keys(MISSING_SERVICE_ACTIONS)) assert.ok(voipbin.has(type), type);
    const run = VOIPBIN_ACTION_TYPES.filter((t) => isActionType(t));
    const refused = VOIPBIN_ACTION_TYPES.filter((t) => MISSING_SERVICE_ACTIONS[t] !== undefined);
    console.log(`VoIPBIN action types: ${voipbin.size}; run by callbin: ${run.length}; refused: ${refused.length}`);
    assert.equal(run.length + refused.length, voipbin.size);
  });

  test('a type nobody knows is still INVALID_ACTION; a refused type inside a nested list is named there', () => {
    assert.deepEqual(
      issuesOf([{ type: 'dance' }]).map((i) => [i.field, i.reason]),
      [['actions[0].type', 'INVALID_ACTION']],
    );
    const nested = issuesOf([
      {
        type: 'call',
        option: {
          destinations: [{ type: 'tel', target: '+16062067563' }],
          actions: [{ type: 'talk', option: { text: 'hi' } }, { type: 'transcribe_start' }],
        },
      },
    ]);
    assert.deepEqual(
      nested.map((i) => [i.field, i.reason]),
      [['actions[0].option.actions[1].type', 'ACTION_NOT_SUPPORTED']],
    );
  });
});
