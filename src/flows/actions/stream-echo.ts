import { defineAction } from './action-definition.ts';
import { echoAction } from './echo.ts';

/**
 * `stream_echo`: VoIPBIN's other name for `echo` (option `duration`, ms); callbin sends the caller's
 * audio and DTMF back exactly as `echo` does (docs/flows.md "Action options").
 */
export const streamEchoAction = defineAction({
  type: 'stream_echo',
  schema: echoAction.schema,
  needs: 'media',
  run: echoAction.run,
});
