import type { ActionDefinition } from './action-definition.ts';
import type { ActionType } from './action-types.ts';
import { amdAction } from './amd.ts';
import { answerAction } from './answer.ts';
import { beepAction } from './beep.ts';
import { branchAction } from './branch.ts';
import { callAction } from './call.ts';
import { conditionCallDigitsAction } from './condition-call-digits.ts';
import { conditionCallStatusAction } from './condition-call-status.ts';
import { conditionDatetimeAction } from './condition-datetime.ts';
import { conditionVariableAction } from './condition-variable.ts';
import { confbridgeJoinAction } from './confbridge-join.ts';
import { conferenceJoinAction } from './conference-join.ts';
import { connectAction } from './connect.ts';
import { digitsReceiveAction } from './digits-receive.ts';
import { digitsSendAction } from './digits-send.ts';
import { echoAction } from './echo.ts';
import { externalMediaStartAction } from './external-media-start.ts';
import { externalMediaStopAction } from './external-media-stop.ts';
import { fetchFlowAction } from './fetch-flow.ts';
import { fetchAction } from './fetch.ts';
import { gotoAction } from './goto.ts';
import { hangupAction } from './hangup.ts';
import { muteAction } from './mute.ts';
import { playAction } from './play.ts';
import { recordingStartAction } from './recording-start.ts';
import { recordingStopAction } from './recording-stop.ts';
import { sleepAction } from './sleep.ts';
import { stopAction } from './stop.ts';
import { streamEchoAction } from './stream-echo.ts';
import { talkAction } from './talk.ts';
import { variableSetAction } from './variable-set.ts';
import { webhookSendAction } from './webhook-send.ts';

/**
 * A `Record<ActionType, ActionDefinition>` whose entry for each type is that type's definition, so
 * a missing action, or one filed under another type's key, fails to compile.
 */
export type ActionRegistryShape = { readonly [K in ActionType]: ActionDefinition<K> };

/** Every action type mapped to its own definition. */
export const actionRegistry = {
  answer: answerAction,
  talk: talkAction,
  play: playAction,
  beep: beepAction,
  digits_receive: digitsReceiveAction,
  digits_send: digitsSendAction,
  recording_start: recordingStartAction,
  recording_stop: recordingStopAction,
  sleep: sleepAction,
  echo: echoAction,
  external_media_start: externalMediaStartAction,
  external_media_stop: externalMediaStopAction,
  hangup: hangupAction,
  connect: connectAction,
  call: callAction,
  conference_join: conferenceJoinAction,
  confbridge_join: confbridgeJoinAction,
  goto: gotoAction,
  branch: branchAction,
  condition_variable: conditionVariableAction,
  condition_datetime: conditionDatetimeAction,
  variable_set: variableSetAction,
  webhook_send: webhookSendAction,
  fetch: fetchAction,
  fetch_flow: fetchFlowAction,
  amd: amdAction,
  stop: stopAction,
  condition_call_digits: conditionCallDigitsAction,
  condition_call_status: conditionCallStatusAction,
  mute: muteAction,
  stream_echo: streamEchoAction,
} as const satisfies ActionRegistryShape;

/** The definition of one action type, widened to the common shape. */
export function actionDefinition(type: ActionType): ActionDefinition {
  const registry: ActionRegistryShape = actionRegistry;
  return registry[type];
}
