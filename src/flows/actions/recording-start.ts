import { Type } from 'typebox';
import { defineAction } from './action-definition.ts';
import { durationSec, resourceId } from './option-fields.ts';
import type { RecordingOptions } from '../../calls/index.ts';
import { answeredCall } from './call-media.ts';

/** `recording_start`: start recording the call and move on at once. */
export const recordingStartAction = defineAction({
  type: 'recording_start',
  schema: Type.Object(
    {
      format: Type.Optional(Type.Enum(['wav'], { description: 'file format' })),
      end_of_silence: Type.Optional(durationSec(0, 3600, 'stop after this much silence, 0 = never')),
      end_of_key: Type.Optional(
        Type.Enum(['', 'none', '#', '*', 'any'], {
          description: 'DTMF key that stops the recording ("" or "none": no key)',
        }),
      ),
      duration: Type.Optional(durationSec(0, 86_400, 'maximum length, 0 = unlimited')),
      beep_start: Type.Optional(Type.Boolean({ description: 'beep when the recording starts' })),
      on_end_flow_id: Type.Optional(resourceId('flow to run when the recording ends')),
    },
    { additionalProperties: false },
  ),
  needs: 'media',
  async run(ctx, option, signal) {
    const callId = await answeredCall(ctx);
    if (option.beep_start === true) await ctx.calls.beep(callId, signal);
    const options: RecordingOptions = {
      format: 'wav',
      ...(option.end_of_silence !== undefined ? { end_of_silence: option.end_of_silence } : {}),
      ...(option.end_of_key !== undefined && option.end_of_key !== '' && option.end_of_key !== 'none'
        ? { end_of_key: option.end_of_key }
        : {}),
      ...(option.duration !== undefined ? { duration: option.duration } : {}),
      ...(option.on_end_flow_id !== undefined ? { on_end_flow_id: option.on_end_flow_id } : {}),
      // The recording shows the activeflow that made it (docs/media.md "Recording").
      activeflow_id: ctx.activeflowId,
    };
    await ctx.calls.recordingStart(callId, options);
    return undefined;
  },
});
