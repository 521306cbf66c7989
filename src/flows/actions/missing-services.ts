/**
 * VoIPBIN's action types that need a service callbin does not have, each with what it needs
 * (docs/flows.md "Actions callbin does not run"): a flow naming one is refused 400
 * `ACTION_NOT_SUPPORTED` on its `type`, with a message that names the missing service.
 */
export const MISSING_SERVICE_ACTIONS: Readonly<Record<string, string>> = {
  ai_talk: 'an AI voice assistant service',
  ai_summary: 'an AI summary service',
  ai_task: 'an AI agent service',
  chatbot_talk: 'a chatbot service',
  transcribe_start: 'a transcription service',
  transcribe_stop: 'a transcription service',
  transcribe_recording: 'a transcription service',
  message_send: 'an SMS messaging service',
  email_send: 'an email service',
  conversation_send: 'a conversation (messaging channel) service',
  queue_join: 'a call queue service with agents',
  block: 'a request that resumes a blocked activeflow',
};

/** Why `type` is refused when it is one of {@link MISSING_SERVICE_ACTIONS}; undefined otherwise. */
export function missingServiceMessage(type: unknown): string | undefined {
  if (typeof type !== 'string' || !Object.hasOwn(MISSING_SERVICE_ACTIONS, type)) return undefined;
  return `${type} needs ${MISSING_SERVICE_ACTIONS[type]}, which callbin does not have`;
}
