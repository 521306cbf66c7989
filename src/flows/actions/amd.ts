import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { AmdDetector, type AmdResult } from '../../media/index.ts';
import { AMD_RESULT_VARIABLE } from '../variables.ts';
import { linkedController } from '../wait.ts';
import type { ActionContext } from './action-definition.ts';
import { answeredCall } from './call-media.ts';

/** Longest the detector waits for audio before giving up NOTSURE (ms); more than its analysis window. */
export const AMD_WAIT_MS = 6000;

/** Runs the detector over the call's audio until it decides, the audio stops or the wait runs out. */
async function detectMachine(ctx: ActionContext, callId: string, signal: AbortSignal): Promise<AmdResult> {
  const detector = new AmdDetector();
  const { controller, dispose } = linkedController(signal);
  const timer = ctx.clock.setTimeout(() => controller.abort(), AMD_WAIT_MS);
  try {
    for await (const frame of ctx.calls.audioFrames(callId, controller.signal)) {
      if (detector.push(frame) !== undefined) break;
    }
  } catch (err) {
    // The wait running out ends the analysis undecided; only a flow abort is passed on.
    if (signal.aborted) throw err;
  } finally {
    ctx.clock.clearTimeout(timer);
    controller.abort();
    dispose();
  }
  if (signal.aborted) throw signal.reason;
  return detector.result ?? 'NOTSURE';
}

/** `amd`: answering-machine detection; sets `voipbin.amd.result`. */
export const amdAction = defineAction({
  type: 'amd',
  schema: Type.Object(
    {
      machine_handle: Type.Optional(
        Type.Enum(['hangup', 'continue'], { description: 'what to do when a machine answers' }),
      ),
      async: Type.Optional(Type.Boolean({ description: 'move on at once and detect in the background' })),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    const callId = await answeredCall(ctx);
    const detect = async (s: AbortSignal): Promise<boolean> => {
      const result = await detectMachine(ctx, callId, s);
      ctx.variables.set(AMD_RESULT_VARIABLE, result);
      if (result !== 'MACHINE' || option.machine_handle !== 'hangup') return false;
      await ctx.calls.hangup(callId, 'amd');
      return true;
    };
    if (option.async === true) {
      ctx.background('amd', async (s) => void (await detect(s)));
      return undefined;
    }
    return (await detect(signal)) ? { end: true } : undefined;
  },
});
