import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import { startBaresip } from '../support/baresip.ts';
import { freePort, runSipp } from '../support/sipp.ts';

const scenario = (name: string): string => fileURLToPath(new URL(`../fixtures/sipp/${name}`, import.meta.url));

interface Registered {
  contact: string;
  transport: string;
  source: string;
  user_agent: string;
  tm_expire: string;
}

interface ExtensionBody {
  id: string;
  username: string;
  domain_name: string;
  registered: Registered[];
}

/** callbin in-process on ephemeral ports over a temporary data directory, restartable. */
class Callbin {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'callbin-register-'));
  handle!: CallbinHandle;
  key = '';

  async start(): Promise<void> {
    const config = loadConfig(
      {},
      {
        dataDir: this.dataDir,
        httpHost: '127.0.0.1',
        httpPort: 0,
        sipHost: '127.0.0.1',
        sipPort: 0,
        logLevel: 'silent',
      },
    );
    this.handle = await startCallbin(config);
  }

  get sipPort(): number {
    return this.handle.sip.address.port;
  }

  async api(method: string, path: string, body?: unknown, key = this.key): Promise<any> {
    const res = await fetch(`${this.handle.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = await res.json();
    assert.equal(res.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
    return json;
  }

  async registered(extensionId: string, key = this.key): Promise<Registered[]> {
    return ((await this.api('GET', `/v1.0/extensions/${extensionId}`, undefined, key)) as ExtensionBody).registered;
  }
}

function sippRegister(file: string, port: number, localPort: number, username: string, password: string) {
  return runSipp(
    [
      '-sf',
      scenario(file),
      `127.0.0.1:${port}`,
      '-i',
      '127.0.0.1',
      '-p',
      String(localPort),
      '-s',
      username,
      '-au',
      username,
      '-ap',
      password,
      '-m',
      '1',
      '-nostdin',
    ],
    { timeoutMs: 20_000 },
  );
}

describe('SIP registrar with real phones (baresip, sipp)', { timeout: 180_000 }, () => {
  const cb = new Callbin();
  let ext: ExtensionBody;
  const password = 'Secret-pass-1001';

  before(async () => {
    await cb.start();
    const admin = cb.handle.admin;
    assert.ok(admin, 'first start creates the admin');
    const customer = await cb.api('POST', '/v1.0/customers', { name: 'acme' }, admin.accessKey);
    const key = await cb.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: customer.id }, admin.accessKey);
    cb.key = key.token;
    ext = await cb.api('POST', '/v1.0/extensions', { extension: '1001', password });
    assert.equal(ext.registered.length, 0);
  });
  after(async () => {
    await cb.handle.close();
    rmSync(cb.dataDir, { recursive: true, force: true });
  });

  it('baresip registers with the right password; the API lists its contact; quitting un-registers it', async () => {
    const phone = await startBaresip({
      accounts: [`<sip:${ext.username}@127.0.0.1:${cb.sipPort}>;auth_pass=${password};regint=60`],
    });
    try {
      await phone.waitForOutput(/\{0\/UDP\/v4\} 200 OK \(\) \[1 binding\]/);
      const [binding, ...others] = await cb.registered(ext.id);
      assert.deepEqual(others, []);
      assert.ok(binding);
      assert.match(binding.contact, new RegExp(`^sip:${ext.username}[^@]*@127\\.0\\.0\\.1:${phone.sipPort}$`));
      assert.equal(binding.transport, 'UDP');
      assert.equal(binding.source, `udp:127.0.0.1:${phone.sipPort}`);
      assert.match(binding.user_agent, /^baresip/);
      const remainingSec = (Date.parse(binding.tm_expire) - Date.now()) / 1000;
      assert.ok(remainingSec > 0 && remainingSec <= 60, `expiry follows regint=60 (${remainingSec} s left)`);
      assert.ok(cb.handle.sip.stats().register_ok! >= 1);
    } finally {
      await phone.stop();
    }
    assert.deepEqual(await cb.registered(ext.id), [], 'a clean quit sends REGISTER Expires 0');
  });

  it('baresip with a wrong password is challenged, then refused 403; nothing is bound', async () => {
    const before = cb.handle.sip.stats();
    const phone = await startBaresip({
      accounts: [`<sip:${ext.username}@127.0.0.1:${cb.sipPort}>;auth_pass=wrong-password;regint=60`],
    });
    try {
      await phone.waitForOutput(/403 Forbidden/);
    } finally {
      await phone.stop();
    }
    const now = cb.handle.sip.stats();
    assert.ok(now.register_unauthorized! > before.register_unauthorized!, 'the first REGISTER got a 401 challenge');
    assert.ok(now.register_forbidden! > before.register_forbidden!, 'the answer to the challenge got 403');
    assert.deepEqual(await cb.registered(ext.id), []);
    const metrics = await (await fetch(`${cb.handle.apiUrl}/metrics`)).text();
    assert.match(metrics, /callbin_sip_register_total\{result="forbidden"\} [1-9]/);
    assert.match(metrics, /callbin_sip_messages_received_total [1-9]/);
  });

  it("baresip registers as <extension>@<domain_name> through the server address; another customer's 1001 stays apart", async () => {
    const admin = cb.handle.admin!;
    const other = await cb.api('POST', '/v1.0/customers', { name: 'other' }, admin.accessKey);
    const otherKey = (await cb.api('POST', '/v1.0/accesskeys', { name: 'k', customer_id: other.id }, admin.accessKey))
      .token;
    const otherExt: ExtensionBody = await cb.api(
      'POST',
      '/v1.0/extensions',
      { extension: '1001', password: 'Other-pass-1001' },
      otherKey,
    );
    const outbound = `outbound="sip:127.0.0.1:${cb.sipPort}"`;
    const phone = await startBaresip({
      accounts: [`<sip:1001@${ext.domain_name}>;auth_pass=${password};${outbound};regint=60`],
    });
    const intruder = await startBaresip({
      accounts: [`<sip:1001@${otherExt.domain_name}>;auth_pass=${password};${outbound};regint=60`],
    });
    try {
      await phone.waitForOutput(/\{0\/UDP\/v4\} 200 OK \(\) \[1 binding\]/);
      await intruder.waitForOutput(/403 Forbidden/);
      const [binding] = await cb.registered(ext.id);
      assert.equal(binding?.source, `udp:127.0.0.1:${phone.sipPort}`);
      assert.deepEqual(await cb.registered(otherExt.id, otherKey), [], "the other customer's password differs");
    } finally {
      await Promise.all([phone.stop(), intruder.stop()]);
    }
    assert.deepEqual(await cb.registered(ext.id), []);
  });

  it('sipp registers with digest auth, then un-registers with Expires: 0', async () => {
    const localPort = await freePort('udp');
    const add = await sippRegister('register-add.xml', cb.sipPort, localPort, ext.username, password);
    assert.equal(add.code, 0, `sipp register failed:\n${add.stdout}\n${add.stderr}`);
    const listed = await cb.registered(ext.id);
    assert.deepEqual(
      listed.map((r) => [r.contact, r.user_agent]),
      [[`sip:${ext.username}@127.0.0.1:${localPort}`, 'sipp']],
    );
    const remove = await sippRegister('register-remove.xml', cb.sipPort, localPort, ext.username, password);
    assert.equal(remove.code, 0, `sipp un-register failed:\n${remove.stdout}\n${remove.stderr}`);
    assert.deepEqual(await cb.registered(ext.id), []);
  });

  it('a registration survives a restart of callbin', async () => {
    const localPort = await freePort('udp');
    const add = await sippRegister('register-add.xml', cb.sipPort, localPort, ext.username, password);
    assert.equal(add.code, 0, `sipp register failed:\n${add.stdout}\n${add.stderr}`);
    await cb.handle.close();
    await cb.start();
    const listed = await cb.registered(ext.id);
    assert.deepEqual(
      listed.map((r) => r.contact),
      [`sip:${ext.username}@127.0.0.1:${localPort}`],
    );
    const remove = await sippRegister('register-remove.xml', cb.sipPort, localPort, ext.username, password);
    assert.equal(remove.code, 0, `the restarted server accepts the un-register:\n${remove.stdout}\n${remove.stderr}`);
    assert.deepEqual(await cb.registered(ext.id), []);
  });
});
