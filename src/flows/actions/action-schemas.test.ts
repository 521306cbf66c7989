import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../../shared/index.ts';
import { validateFlowActions } from '../flow-action-validator.ts';
import { ACTION_TYPES } from './action-types.ts';
import type { ActionType } from './action-types.ts';
import type { ActionNeeds } from './action-definition.ts';
import { actionRegistry } from './registry.ts';

const TARGET_ID = '11111111-1111-4111-8111-111111111111';
const FLOW_ID = '22222222-2222-4222-8222-222222222222';
const TEL = { type: 'tel', target: '+16062067563' };

interface Example {
  /** A valid option, or undefined to omit `option` altogether. */
  valid: Record<string, unknown> | undefined;
  invalid: { option: unknown; field: string; reason: string };
}

const EXAMPLES: Record<ActionType, Example> = {
  answer: { valid: undefined, invalid: { option: { now: true }, field: 'now', reason: 'INVALID_ACTION' } },
  talk: {
    valid: {
      text: '<speak>Hello</speak>',
      language: 'de-DE',
      gender: 'female',
      voice_id: 'v1',
      digits_handle: 'next',
      async: true,
    },
    invalid: { option: { text: 'hi', gender: 'robot' }, field: 'gender', reason: 'INVALID_ACTION' },
  },
  play: {
    valid: { stream_urls: ['https://example.com/a.wav', 'http://example.com/b.mp3'] },
    invalid: {
      option: { stream_urls: ['ftp://example.com/a.wav'] },
      field: 'stream_urls[0]',
      reason: 'INVALID_MEDIA_URL',
    },
  },
  beep: { valid: {}, invalid: { option: 'loud', field: 'option', reason: 'INVALID_ACTION' } },
  digits_receive: {
    valid: { duration: 5000, length: 4, key: '#' },
    invalid: { option: { duration: 1.5 }, field: 'duration', reason: 'INVALID_ACTION' },
  },
  digits_send: {
    valid: { digits: '12*#AD', duration: 100, interval: 60 },
    invalid: { option: { digits: '12E' }, field: 'digits', reason: 'INVALID_ACTION' },
  },
  recording_start: {
    valid: {
      format: 'wav',
      end_of_silence: 3,
      end_of_key: '#',
      duration: 600,
      beep_start: true,
      on_end_flow_id: FLOW_ID,
    },
    invalid: { option: { format: 'mp3' }, field: 'format', reason: 'INVALID_ACTION' },
  },
  recording_stop: { valid: undefined, invalid: { option: { id: 1 }, field: 'id', reason: 'INVALID_ACTION' } },
  sleep: {
    valid: { duration: 1000 },
    invalid: { option: { duration: -1 }, field: 'duration', reason: 'INVALID_ACTION' },
  },
  echo: {
    valid: { duration: 180000 },
    invalid: { option: { duration: '10s' }, field: 'duration', reason: 'INVALID_ACTION' },
  },
  external_media_start: {
    valid: {
      external_host: 'wss://bot.example.com/media',
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: 'client',
      format: 'slin16',
      direction_listen: 'both',
      direction_speak: 'in',
      data: '{"lang":"en"}',
      variables: ['voipbin.call.id'],
      sync: true,
    },
    invalid: {
      option: { external_host: 'https://bot.example.com/media' },
      field: 'external_host',
      reason: 'INVALID_STREAM_URL',
    },
  },
  external_media_stop: { valid: undefined, invalid: { option: { id: 1 }, field: 'id', reason: 'INVALID_ACTION' } },
  hangup: {
    valid: { reason: 'busy' },
    invalid: { option: { reason: 'bored' }, field: 'reason', reason: 'INVALID_ACTION' },
  },
  connect: {
    valid: {
      source: TEL,
      destinations: [{ type: 'extension', target: 'alice' }],
      ring_method: 'join_all',
      early_media: true,
      relay_reason: true,
      ring_timeout: 30,
    },
    invalid: {
      option: { destinations: [{ type: 'tel', target: '16062067563' }] },
      field: 'destinations[0].target',
      reason: 'INVALID_E164',
    },
  },
  call: {
    valid: {
      source: TEL,
      destinations: [{ type: 'sip', target: 'sip:bob@example.com:5070' }],
      actions: [{ type: 'answer' }],
      chained: true,
      early_execution: false,
    },
    invalid: { option: { destinations: [TEL], flow_id: 'flow-1' }, field: 'flow_id', reason: 'INVALID_ACTION' },
  },
  conference_join: {
    valid: { conference_id: FLOW_ID },
    invalid: { option: {}, field: 'conference_id', reason: 'INVALID_ACTION' },
  },
  confbridge_join: {
    valid: { confbridge_id: FLOW_ID },
    invalid: { option: { confbridge_id: 'room-1' }, field: 'confbridge_id', reason: 'INVALID_ACTION' },
  },
  goto: {
    valid: { target_id: TARGET_ID, loop_count: 3 },
    invalid: { option: { target_id: 'abc' }, field: 'target_id', reason: 'INVALID_ACTION_TARGET' },
  },
  branch: {
    valid: { variable: 'voipbin.call.digits', target_ids: { '1': TARGET_ID }, default_target_id: TARGET_ID },
    invalid: { option: { target_ids: { '2': 'nowhere' } }, field: 'target_ids["2"]', reason: 'INVALID_ACTION_TARGET' },
  },
  condition_variable: {
    valid: {
      condition: '>=',
      variable: '${voipbin.call.digits}',
      value_type: 'length',
      value_length: 4,
      false_target_id: TARGET_ID,
    },
    invalid: {
      option: { condition: '=~', variable: 'x', value_type: 'string' },
      field: 'condition',
      reason: 'INVALID_ACTION',
    },
  },
  condition_datetime: {
    valid: {
      condition: '>=',
      hour: 9,
      minute: 0,
      day: 1,
      month: 12,
      weekdays: [1, 2, 3, 4, 5],
      timezone: 'Europe/Berlin',
      false_target_id: TARGET_ID,
    },
    invalid: { option: { condition: '==', hour: 24 }, field: 'hour', reason: 'INVALID_ACTION' },
  },
  variable_set: {
    valid: { key: 'greeting', value: 'hello ${name}' },
    invalid: { option: { value: 'x' }, field: 'key', reason: 'INVALID_ACTION' },
  },
  webhook_send: {
    valid: {
      uri: 'https://hooks.example.com/x',
      method: 'POST',
      data_type: 'application/json',
      data: '{"a":1}',
      sync: true,
    },
    invalid: {
      option: { uri: 'https://hooks.example.com/x', method: 'PATCH' },
      field: 'method',
      reason: 'INVALID_ACTION',
    },
  },
  fetch: {
    valid: { event_url: 'https://example.com/next', event_method: 'GET' },
    invalid: { option: { event_url: 'example.com/next' }, field: 'event_url', reason: 'INVALID_ACTION' },
  },
  fetch_flow: {
    valid: { flow_id: FLOW_ID },
    invalid: { option: { flow_id: 42 }, field: 'flow_id', reason: 'INVALID_ACTION' },
  },
  amd: {
    valid: { machine_handle: 'hangup', async: false },
    invalid: { option: { machine_handle: 'ignore' }, field: 'machine_handle', reason: 'INVALID_ACTION' },
  },
  stop: { valid: {}, invalid: { option: { reason: 'done' }, field: 'reason', reason: 'INVALID_ACTION' } },
  condition_call_digits: {
    valid: { length: 4, key: '#', false_target_id: TARGET_ID },
    invalid: { option: { key: 'E' }, field: 'key', reason: 'INVALID_ACTION' },
  },
  condition_call_status: {
    valid: { status: 'progressing', false_target_id: TARGET_ID },
    invalid: { option: { status: 'answered' }, field: 'status', reason: 'INVALID_ACTION' },
  },
  mute: {
    valid: { direction: 'in' },
    invalid: { option: { direction: 'sideways' }, field: 'direction', reason: 'INVALID_ACTION' },
  },
  stream_echo: {
    valid: { duration: 30000 },
    invalid: { option: { duration: 0 }, field: 'duration', reason: 'INVALID_ACTION' },
  },
};

const NEEDS: Record<ActionNeeds, readonly ActionType[]> = {
  media: [
    'answer',
    'talk',
    'play',
    'beep',
    'digits_receive',
    'digits_send',
    'recording_start',
    'recording_stop',
    'echo',
    'external_media_start',
    'external_media_stop',
    'amd',
    'connect',
    'conference_join',
    'confbridge_join',
    'mute',
    'stream_echo',
  ],
  call: ['hangup', 'condition_call_digits', 'condition_call_status'],
  none: [
    'goto',
    'branch',
    'condition_variable',
    'condition_datetime',
    'variable_set',
    'webhook_send',
    'fetch',
    'fetch_flow',
    'sleep',
    'stop',
    'call',
  ],
};

function withTarget(action: Record<string, unknown>): unknown[] {
  return [{ id: TARGET_ID, type: 'answer' }, action];
}

describe('action schemas', () => {
  it('the example table covers every action type of the catalogue', () => {
    assert.deepEqual(Object.keys(EXAMPLES).sort(), [...ACTION_TYPES].sort());
    assert.equal(ACTION_TYPES.length, 31);
  });

  it('the registry files every type under its own key with the catalogue needs', () => {
    for (const type of ACTION_TYPES) assert.equal(actionRegistry[type].type, type);
    for (const [needs, types] of Object.entries(NEEDS)) {
      for (const type of types) assert.equal(actionRegistry[type].needs, needs, type);
    }
    assert.equal(Object.values(NEEDS).flat().length, ACTION_TYPES.length);
  });

  for (const type of ACTION_TYPES) {
    const example = EXAMPLES[type];
    it(`${type}: a valid option is accepted and kept`, () => {
      const action = example.valid === undefined ? { type } : { type, option: example.valid };
      const [, stored] = validateFlowActions(withTarget(action));
      assert.equal(stored?.type, type);
      if (example.valid === undefined) assert.deepEqual(stored?.option, {});
      else if (type !== 'call') assert.deepEqual(stored?.option, example.valid);
    });

    it(`${type}: an invalid option is refused with ${example.invalid.reason} on ${example.invalid.field}`, () => {
      const err = catchValidation(() => validateFlowActions(withTarget({ type, option: example.invalid.option })));
      const field =
        example.invalid.field === 'option' ? 'actions[1].option' : `actions[1].option.${example.invalid.field}`;
      const detail = err.details.find((d) => d.field === field);
      assert.ok(detail, `no detail on ${field}: ${JSON.stringify(err.details)}`);
      assert.equal(detail.reason, example.invalid.reason);
    });
  }
});

function catchValidation(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err;
  }
  assert.fail('expected a ValidationError');
}
