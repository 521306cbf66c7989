/**
 * Builds a benchmark's small C helper (a load generator or RTP peer) with the system's cc into the
 * ignored .tmp/ folder, so no binary is ever committed or downloaded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tmp = join(dirname(fileURLToPath(import.meta.url)), '..', '.tmp');

/**
 * Compiles `source` to `.tmp/<folder>/<name>` when the binary is missing or older than the source;
 * undefined path (with the reason) without a cc or when the compiler fails, so callers fall back.
 */
export function buildCProgram(source: string, folder: string, name: string): { path?: string; reason?: string } {
  const binary = join(tmp, folder, name);
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return { path: binary };
  mkdirSync(dirname(binary), { recursive: true });
  // Built under a private name and renamed, so concurrent runs never execute a half-written file.
  const temp = `${binary}.${process.pid}`;
  const r = spawnSync('cc', ['-O2', '-o', temp, source], { encoding: 'utf8' });
  if (r.error) return { reason: `no cc (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) return { reason: `cc failed: ${r.stderr.trim().split('\n')[0] ?? ''}` };
  renameSync(temp, binary);
  return { path: binary };
}
