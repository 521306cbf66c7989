import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ValidationError } from '../shared/index.ts';
import type { ByteRange, RecordingStorage } from './ports.ts';
import type { RecordingFile } from './recording.ts';

/** Fixes a WAV file left open by a crash; returns its seconds (the media recorder's `repairWav`). */
export type WavRepairer = (path: string) => Promise<{ durationSec: number }>;

/** Options of LocalRecordingStorage. */
export interface LocalRecordingStorageOptions {
  /** The directory of the files (`<data dir>/recordings`). */
  dir: string;
  repairWav: WavRepairer;
}

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ENOENT';
}

/** Recording files in one directory of the local disk. */
export class LocalRecordingStorage implements RecordingStorage {
  readonly #dir: string;
  readonly #repairWav: WavRepairer;
  #private = false;

  constructor(options: LocalRecordingStorageOptions) {
    this.#dir = options.dir;
    this.#repairWav = options.repairWav;
  }

  async prepare(): Promise<void> {
    // Recordings are private to callbin (docs/security.md): the directory 0700 whatever the umask
    // (files are created 0600 by the media recorder; start-up fixes older ones).
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    if (!this.#private) await chmod(this.#dir, 0o700);
    this.#private = true;
  }

  basePath(id: string): string {
    return this.#pathOf(id);
  }

  async describe(filename: string): Promise<RecordingFile | undefined> {
    const path = this.#pathOf(filename);
    try {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of createReadStream(path)) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      return { filename, bytes, sha256: hash.digest('hex') };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async repair(filename: string): Promise<number | undefined> {
    const path = this.#pathOf(filename);
    try {
      await stat(path);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    return (await this.#repairWav(path)).durationSec;
  }

  async stat(filename: string): Promise<number | undefined> {
    try {
      const info = await stat(this.#pathOf(filename));
      return info.isFile() ? info.size : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  read(filename: string, range?: ByteRange): AsyncIterable<Uint8Array> {
    return createReadStream(this.#pathOf(filename), range ? { start: range.start, end: range.end } : {});
  }

  async remove(filename: string): Promise<void> {
    await rm(this.#pathOf(filename), { force: true });
  }

  #pathOf(name: string): string {
    // Names come from stored rows, never from a request; still, nothing may leave the directory.
    if (basename(name) !== name || name === '' || name.startsWith('.')) {
      throw ValidationError.field('filename', 'INVALID_FILENAME', `${name} is not a recording file name`);
    }
    return join(this.#dir, name);
  }
}
