// Recordings as a customer downloads them (docs/api.md): `/recordingfiles/{id}` and its WAVs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';

/** Downloads `/recordingfiles/{id}` and unpacks it: every file's bytes by name. */
export async function downloadFiles(apiUrl: string, key: string, id: string): Promise<Map<string, Buffer>> {
  const res = await fetch(`${apiUrl}/v1.0/recordingfiles/${id}`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200, await res.clone().text());
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(Number(res.headers.get('content-length')), bytes.length);
  if (res.headers.get('content-type') === 'audio/wav') return new Map([[`${id}.wav`, bytes]]);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  const dir = await mkdtemp(join(tmpdir(), 'callbin-rec-e2e-'));
  try {
    await writeFile(join(dir, 'r.zip'), bytes);
    const unzip = spawnSync('unzip', ['-q', 'r.zip', '-d', 'x'], { cwd: dir, encoding: 'utf8' });
    assert.equal(unzip.status, 0, unzip.stderr);
    return new Map(
      await Promise.all(
        [`${id}_in.wav`, `${id}_out.wav`].map(async (f) => [f, await readFile(join(dir, 'x', f))] as [string, Buffer]),
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The samples of an 8 kHz mono 16-bit WAV (wavefile rejects a file whose header does not match). */
export function samplesOf(wav: Buffer | undefined): Int16Array {
  assert.ok(wav, 'file downloaded');
  const file = new wavefile.WaveFile(new Uint8Array(wav));
  const fmt = file.fmt as { numChannels: number; sampleRate: number };
  assert.deepEqual([fmt.numChannels, fmt.sampleRate, file.bitDepth], [1, 8000, '16']);
  assert.equal(wav.readUInt32LE(40), wav.length - 44, 'data size in the header matches the file');
  return file.getSamples(true, Int16Array) as unknown as Int16Array;
}
