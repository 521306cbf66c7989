import { Type } from 'typebox';
import { RECORDING_STATUSES } from '../../recordings/index.ts';
import { Id, Time, binary, listOf, obj, oneOf, opt } from './common.ts';
import type { ResponseMap } from './response-map.ts';

/** One finished file of a recording. */
const RecordingFile = obj({
  filename: Type.String(),
  bytes: Type.Integer(),
  sha256: Type.String({ description: 'hex' }),
});

/** A recording (docs/media.md "Recording"). */
export const Recording = obj(
  {
    id: Id,
    customer_id: Id,
    activeflow_id: opt(Id),
    reference_type: oneOf(['call', 'conference']),
    reference_id: Id,
    status: oneOf(RECORDING_STATUSES),
    format: Type.Literal('wav'),
    filenames: Type.Array(Type.String()),
    files: Type.Array(RecordingFile, { description: '[] until the recording has ended' }),
    on_end_flow_id: Id,
    duration_sec: opt(Type.Number({ description: 'seconds of audio; absent until ended' })),
    tm_create: Time,
    tm_update: Time,
    tm_start: opt(Time),
    tm_end: opt(Time),
    tm_delete: opt(Time),
  },
  'a recording',
);

/** `/recordings` and the download `/recordingfiles/{id}` (one WAV, or a zip of several). */
export const recordingResponses: ResponseMap = {
  'GET /recordings': listOf(Recording, 'a page of recordings'),
  'GET /recordings/:id': Recording,
  'DELETE /recordings/:id': Recording,
  'GET /recordingfiles/:id': {
    responses: {
      200: binary('the audio: one WAV, or a zip of the WAVs of a split recording', ['audio/wav', 'application/zip']),
      206: binary('the byte range the Range header asked for', ['audio/wav', 'application/zip']),
      416: {
        description: 'a Range the file cannot serve',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  },
};
