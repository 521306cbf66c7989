import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { startCallbinProcess, type RunningProcess } from '../support/process.ts';

/** Send an OPTIONS over UDP to 127.0.0.1:`port` and resolve with the status line of the answer. */
function sipOptions(port: number, timeoutMs = 5_000): Promise<string> {
  const socket = createSocket('udp4');
  const request = [
    `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bK-start-test',
    'Max-Forwards: 70',
    'From: <sip:test@127.0.0.1>;tag=1',
    `To: <sip:127.0.0.1:${port}>`,
    'Call-ID: start-test',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`no SIP answer on UDP port ${port}`))), timeoutMs);
    const finish = (f: () => void): void => {
      clearTimeout(timer);
      socket.close();
      f();
    };
    socket.on('message', (msg) => finish(() => resolve(msg.toString().split('\r\n')[0] ?? '')));
    socket.on('error', (err) => finish(() => reject(err)));
    socket.send(request, port, '127.0.0.1');
  });
}

describe('callbin start (the README command)', () => {
  it('serves the API, prints the URL, the SIP address and an admin key that works on /customer; a restart keeps the data', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callbin-start-'));
    const env = {
      CALLBIN_DATA_DIR: dataDir,
      CALLBIN_HTTP_PORT: '0',
      CALLBIN_HTTP_HOST: '127.0.0.1',
      CALLBIN_SIP_PORT: '0',
    };
    const running: RunningProcess[] = [];
    try {
      const first = startCallbinProcess(env);
      running.push(first);
      const [, apiUrl] = await first.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
      const [, sipPort] = await first.waitFor(/SIP:\s+sip:[\d.]+:(\d+)/);
      assert.notEqual(Number(sipPort), 0, 'the printed SIP port is the bound one, not the configured 0');
      assert.match(await sipOptions(Number(sipPort)), /^SIP\/2\.0 200 /, 'the printed SIP port answers');
      const [, key] = await first.waitFor(/\n\s+(vb_[A-Za-z0-9_-]+)\n/);
      const me = await fetch(`${apiUrl}/v1.0/customer`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(me.status, 200);
      const customer = (await me.json()) as { id: string; name: string };
      assert.equal(customer.name, 'default');
      const flow = await fetch(`${apiUrl}/v1/flows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'kept', actions: [{ type: 'answer' }] }),
      });
      assert.equal(flow.status, 200);
      const file = join(dataDir, 'admin-credentials.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).access_key, key);
      assert.equal(await first.stop(), 0);

      const second = startCallbinProcess(env);
      running.push(second);
      const [, apiUrl2] = await second.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
      await second.waitFor(/admin credentials: see/);
      assert.doesNotMatch(second.output(), /vb_/, 'the key is printed on the first start only');
      const flows = await fetch(`${apiUrl2}/v1.0/flows`, { headers: { authorization: `Bearer ${key}` } });
      const list = (await flows.json()) as { result: { name: string }[] };
      assert.deepEqual(
        list.result.map((f) => f.name),
        ['kept'],
      );
      await second.stop();
    } finally {
      // A failed assertion must not leave a callbin running (it would keep the test process alive).
      await Promise.all(running.map((p) => p.stop()));
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a bad configuration value exits 1 naming the variable', async () => {
    const p = startCallbinProcess({
      CALLBIN_DATA_DIR: mkdtempSync(join(tmpdir(), 'callbin-bad-')),
      CALLBIN_HTTP_PORT: 'eighty',
      CALLBIN_SIP_PORT: '0',
    });
    const code = await new Promise<number | null>((resolve) => p.child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(p.output(), /CALLBIN_HTTP_PORT/);
  });

  it('CALLBIN_ADMIN_KEY seeds the admin key', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'callbin-seed-'));
    const key = 'vb_automation_key_0123456789';
    const p = startCallbinProcess({
      CALLBIN_DATA_DIR: dataDir,
      CALLBIN_HTTP_PORT: '0',
      CALLBIN_HTTP_HOST: '127.0.0.1',
      CALLBIN_SIP_PORT: '0',
      CALLBIN_ADMIN_KEY: key,
    });
    try {
      const [, apiUrl] = await p.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
      const res = await fetch(`${apiUrl}/v1.0/customers`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200);
    } finally {
      await p.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
