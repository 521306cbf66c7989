import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavWriter } from '../../src/media/index.ts';
import { LocalRecordingStorage } from '../../src/recordings/index.ts';
import { startCallbinProcess, type RunningProcess } from '../support/process.ts';

// Modes are checked under umask 000, where anything created without an explicit mode is 0666/0777.
function withOpenUmask<T>(fn: () => T): T {
  const old = process.umask(0);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

function modeOf(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

const SECRET_FILES = [
  'callbin.db',
  'callbin.db-wal',
  'callbin.db-shm',
  'jwt.secret',
  'sip-digest.secret',
  'admin-credentials.json',
];

function assertPrivate(dataDir: string): void {
  assert.equal(modeOf(dataDir), '700', 'the data directory');
  for (const name of SECRET_FILES) assert.equal(modeOf(join(dataDir, name)), '600', name);
}

async function startAndWait(
  env: Record<string, string>,
): Promise<{ proc: RunningProcess; apiUrl: string; bannerEnd: number }> {
  const proc = withOpenUmask(() => startCallbinProcess(env));
  const [, apiUrl = ''] = await proc.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
  await proc.waitFor(/try:\s+curl/);
  return { proc, apiUrl, bannerEnd: proc.output().length };
}

const ADMIN_KEY = 'vb_adminSecretForTheLogTest0123456789abcd';

describe('security: files in the data directory are private, secrets stay out of the logs', () => {
  it('a real callbin makes a fresh data directory 0700 and its secrets 0600 under umask 000, and fixes loose modes at the next start', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'callbin-files-'));
    const dataDir = join(parent, 'data');
    const env = {
      CALLBIN_DATA_DIR: dataDir,
      CALLBIN_HTTP_PORT: '0',
      CALLBIN_HTTP_HOST: '127.0.0.1',
      CALLBIN_SIP_PORT: '0',
      CALLBIN_ADMIN_KEY: ADMIN_KEY,
    };
    const running: RunningProcess[] = [];
    try {
      const first = await startAndWait(env);
      running.push(first.proc);
      assertPrivate(dataDir);
      assert.equal(await first.proc.stop(), 0);

      // An older install: everything world-readable, and a recording written before.
      chmodSync(dataDir, 0o755);
      for (const name of SECRET_FILES) if (existsSync(join(dataDir, name))) chmodSync(join(dataDir, name), 0o644);
      mkdirSync(join(dataDir, 'recordings'), { recursive: true });
      chmodSync(join(dataDir, 'recordings'), 0o755);
      writeFileSync(join(dataDir, 'recordings', 'old_in.wav'), 'RIFF');
      chmodSync(join(dataDir, 'recordings', 'old_in.wav'), 0o644);

      const second = await startAndWait(env);
      running.push(second.proc);
      assertPrivate(dataDir);
      assert.equal(modeOf(join(dataDir, 'recordings')), '700', 'the recordings directory');
      assert.equal(modeOf(join(dataDir, 'recordings', 'old_in.wav')), '600', 'an existing recording');
    } finally {
      for (const p of running) await p.stop('SIGKILL');
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('a recording file is created 0600 whatever the umask, in a directory prepare() makes 0700', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'callbin-rec-modes-'));
    try {
      const writer = await withOpenUmask(() => WavWriter.open(join(dir, 'a.wav')));
      assert.equal(modeOf(join(dir, 'a.wav')), '600');
      await writer.close();
      const recordings = join(dir, 'recordings');
      mkdirSync(recordings, { mode: 0o755 });
      chmodSync(recordings, 0o755);
      await new LocalRecordingStorage({ dir: recordings, repairWav: async () => ({ durationSec: 0 }) }).prepare();
      assert.equal(modeOf(recordings), '700');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('access keys, tokens, Authorization and Cookie never appear in the log of a real callbin at debug level', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callbin-logs-'));
    const env = {
      CALLBIN_DATA_DIR: dataDir,
      CALLBIN_HTTP_PORT: '0',
      CALLBIN_HTTP_HOST: '127.0.0.1',
      CALLBIN_SIP_PORT: '0',
      CALLBIN_ADMIN_KEY: ADMIN_KEY,
      CALLBIN_LOG_LEVEL: 'debug',
    };
    let proc: RunningProcess | undefined;
    try {
      const started = await startAndWait(env);
      proc = started.proc;
      const { apiUrl } = started;
      const secrets = [
        ADMIN_KEY,
        'vb_querySecretAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'tokenSecretBBBBBBBB',
        'vb_bearerSecretCCCCCCCCCCCCCCCCCCCCCCCCCCCC',
        'vb_cookieSecretDDDDDDDDDDDDDDDDDDDDDDDDDDDD',
      ];
      const deep = `{"name":"deep","actions":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
      const answers = [
        await fetch(`${apiUrl}/v1.0/flows?accesskey=${secrets[1]}`),
        await fetch(`${apiUrl}/v1.0/flows?token=${secrets[2]}`),
        await fetch(`${apiUrl}/v1.0/flows`, { headers: { authorization: `Bearer ${secrets[3]}` } }),
        await fetch(`${apiUrl}/v1.0/flows`, { headers: { cookie: `accesskey=${secrets[4]}` } }),
        await fetch(`${apiUrl}/v1.0/flows`, { headers: { cookie: `accesskey=%E0%A4%A${secrets[4]}` } }),
        // A body that overflowed the validator's stack: the 500 was logged with the URL and its key.
        await fetch(`${apiUrl}/v1.0/flows?accesskey=${ADMIN_KEY}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: deep,
        }),
      ];
      for (const res of answers) {
        assert.ok(res.status >= 400 && res.status < 500, `a 4xx, got ${res.status}`);
        await res.arrayBuffer();
      }
      assert.equal((await fetch(`${apiUrl}/v1.0/flows?accesskey=${ADMIN_KEY}`)).status, 200);
      await new Promise((r) => setTimeout(r, 200)); // let the child flush its log
      const log = proc.output().slice(started.bannerEnd);
      for (const secret of secrets) assert.ok(!log.includes(secret), `the log shows ${secret}:\n${log}`);
    } finally {
      await proc?.stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
