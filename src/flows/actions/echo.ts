import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { durationMs, MAX_DURATION_MS } from './option-fields.ts';
import { answeredCall } from './call-media.ts';
import { isAbortOf, linkedController, sleep } from '../wait.ts';

/** How long `echo` runs when `duration` is not given (ms). */
const DEFAULT_ECHO_MS = 180_000;

/** `echo`: send back what the caller says (and DTMF) for a while. */
export const echoAction = defineAction({
  type: 'echo',
  schema: Type.Object(
    { duration: Type.Optional(durationMs(1, MAX_DURATION_MS, 'how long to echo, default 180000')) },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    const callId = await answeredCall(ctx);
    const { controller, dispose } = linkedController(signal);
    const echoing = ctx.calls.echo(callId, controller.signal);
    // Observed below; this handler only keeps an early rejection from being reported as unhandled.
    echoing.catch(() => undefined);
    try {
      await Promise.race([sleep(ctx.clock, option.duration ?? DEFAULT_ECHO_MS, signal), echoing]);
    } finally {
      controller.abort();
      dispose();
    }
    try {
      await echoing;
    } catch (err) {
      if (!isAbortOf(controller.signal, err)) throw err;
    }
    return undefined;
  },
});
