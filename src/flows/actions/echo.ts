import { Type } from 'typebox';
import { defineAction, type ActionContext } from './action-definition.ts';
import { durationMs, MAX_DURATION_MS } from './option-fields.ts';
import { answeredCall } from './call-media.ts';
import { isAbortOf, linkedController, sleep } from '../wait.ts';

/** How long `echo` runs when `duration` is not given (ms). */
const DEFAULT_ECHO_MS = 180_000;
/** Shortest and longest tone an echoed digit gets (ms): a received duration outside is clamped. */
const ECHO_TONE_MIN_MS = 40;
const ECHO_TONE_MAX_MS = 1000;
/** Echoed digits queued at most; more are dropped, so a flood of digits cannot queue without end. */
const MAX_QUEUED_ECHOES = 16;

/**
 * Sends each digit the caller presses (RFC 4733 or SIP INFO) back to it as RFC 4733 events with the
 * leg's negotiated telephone-event payload type, the tone as long as the caller's (docs/flows.md
 * "Action options", `echo`), until the signal aborts; returns the unsubscribe function.
 */
export function echoDigits(ctx: ActionContext, callId: string, signal: AbortSignal): () => void {
  let queued = 0;
  return ctx.calls.onDtmf(callId, (dtmf) => {
    if (signal.aborted) return;
    if (queued >= MAX_QUEUED_ECHOES) {
      ctx.logger.debug({ digit: dtmf.digit }, 'echo: a digit was dropped, too many are waiting');
      return;
    }
    queued++;
    const tone = Math.min(ECHO_TONE_MAX_MS, Math.max(ECHO_TONE_MIN_MS, Math.round(dtmf.durationMs)));
    ctx.calls
      .sendDigits(callId, { digits: dtmf.digit, durationMs: tone, intervalMs: 0 }, signal)
      .catch((err: unknown) => {
        // A held leg, one without telephone-event, or the end of the echo: the digit is not sent back.
        if (!signal.aborted) ctx.logger.debug({ err, digit: dtmf.digit }, 'echo: a digit could not be sent back');
      })
      .finally(() => queued--);
  });
}

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
    const offDigits = echoDigits(ctx, callId, controller.signal);
    const echoing = ctx.calls.echo(callId, controller.signal);
    // Observed below; this handler only keeps an early rejection from being reported as unhandled.
    echoing.catch(() => undefined);
    try {
      await Promise.race([sleep(ctx.clock, option.duration ?? DEFAULT_ECHO_MS, signal), echoing]);
    } finally {
      offDigits();
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
