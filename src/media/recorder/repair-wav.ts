import { open } from 'node:fs/promises';
import { ValidationError } from '../../shared/index.ts';
import { uint32le } from './wav-format.ts';

/** What repairWav found and fixed. */
export interface RepairedWav {
  dataBytes: number;
  durationSec: number;
}

function invalid(path: string, reason: string): ValidationError {
  return ValidationError.field('path', 'INVALID_WAV', `${path}: ${reason}`);
}

/**
 * Fixes the RIFF and data sizes of a WAV file whose writer never closed it (a crash): the data
 * chunk is taken to run to the end of the file, cut to whole sample frames.
 */
export async function repairWav(path: string): Promise<RepairedWav> {
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    const head = new Uint8Array(Math.min(size, 4096));
    await file.read(head, 0, head.length, 0);
    const view = new DataView(head.buffer);
    const tag = (at: number): string => String.fromCharCode(...head.subarray(at, at + 4));
    if (head.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw invalid(path, 'not a RIFF/WAVE file');
    let at = 12;
    let blockAlign = 0;
    let byteRate = 0;
    while (at + 8 <= head.length) {
      const id = tag(at);
      const chunkBytes = view.getUint32(at + 4, true);
      if (id === 'fmt ' && at + 24 <= head.length) {
        byteRate = view.getUint32(at + 16, true);
        blockAlign = view.getUint16(at + 20, true);
      }
      if (id === 'data') {
        if (blockAlign === 0) throw invalid(path, 'data chunk before fmt chunk');
        const dataStart = at + 8;
        const dataBytes = Math.floor(Math.max(0, size - dataStart) / blockAlign) * blockAlign;
        await file.write(uint32le(dataStart - 8 + dataBytes), 0, 4, 4);
        await file.write(uint32le(dataBytes), 0, 4, at + 4);
        await file.truncate(dataStart + dataBytes);
        return { dataBytes, durationSec: dataBytes / byteRate };
      }
      // RIFF chunks are padded to an even length (RIFF spec).
      at += 8 + chunkBytes + (chunkBytes % 2);
    }
    throw invalid(path, 'no data chunk');
  } finally {
    await file.close();
  }
}
