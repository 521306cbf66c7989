import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCallbinProcess } from '../support/process.ts';

const run = promisify(execFile);

function cli(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env } });
}

describe('callbin CLI admin commands', () => {
  it('customer-create and accesskey-create make a key that works on the running server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callbin-cli-'));
    const env = {
      CALLBIN_DATA_DIR: dataDir,
      CALLBIN_HTTP_PORT: '0',
      CALLBIN_HTTP_HOST: '127.0.0.1',
      CALLBIN_SIP_PORT: '0',
      CALLBIN_LOG_LEVEL: 'warn',
    };
    const server = startCallbinProcess(env);
    try {
      const [, apiUrl] = await server.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
      const customer = JSON.parse((await cli(['customer-create', '--name', 'acme'], env)).stdout) as { id: string };
      const key = JSON.parse((await cli(['accesskey-create', '--customer', customer.id], env)).stdout) as {
        token: string;
      };
      const res = await fetch(`${apiUrl}/v1.0/customer`, { headers: { authorization: `Bearer ${key.token}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { name: string }).name, 'acme');
      await assert.rejects(cli(['accesskey-create', '--customer', '00000000-0000-4000-8000-000000000000'], env));
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
