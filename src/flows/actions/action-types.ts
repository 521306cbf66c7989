/** Every action type of the flow catalogue, in catalogue order; the registry must cover each one. */
export const ACTION_TYPES = [
  'answer',
  'talk',
  'play',
  'beep',
  'digits_receive',
  'digits_send',
  'recording_start',
  'recording_stop',
  'sleep',
  'echo',
  'external_media_start',
  'external_media_stop',
  'hangup',
  'connect',
  'call',
  'conference_join',
  'confbridge_join',
  'goto',
  'branch',
  'condition_variable',
  'condition_datetime',
  'variable_set',
  'webhook_send',
  'fetch',
  'fetch_flow',
  'amd',
  'stop',
  'condition_call_digits',
  'condition_call_status',
  'mute',
  'stream_echo',
] as const;

/** The name of one flow action, as written in a flow's `type` field. */
export type ActionType = (typeof ACTION_TYPES)[number];

const ACTION_TYPE_SET: ReadonlySet<string> = new Set(ACTION_TYPES);

/** True when `value` names an action of the catalogue. */
export function isActionType(value: unknown): value is ActionType {
  return typeof value === 'string' && ACTION_TYPE_SET.has(value);
}
