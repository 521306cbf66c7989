// Customers' `sip:` destinations in production mode: no INVITE to loopback, private or link-local
// hosts (API 400 up front, a failed call when DNS says so at dial time), the allow list, and
// providers (set by the admin) still reachable on internal addresses.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { startCallbin } from '../../src/main.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { apiCall, expectStatus, waitForCall } from '../support/callbin.ts';
import type { ApiResponse } from '../support/callbin.ts';

const SOURCE = { type: 'tel', target: '+15550001000' };
const HANGUP = [{ type: 'hangup' }];

/** A UDP socket standing in for an internal SIP service: records what reaches it, never answers. */
class Listener {
  readonly datagrams: string[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (msg) => this.datagrams.push(msg.toString()));
  }

  static async open(address: string): Promise<Listener> {
    const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>(
      (resolve, reject) => (socket.once('error', reject), socket.bind(0, address, () => resolve())),
    );
    return new Listener(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  invites(): number {
    return this.datagrams.filter((d) => d.startsWith('INVITE ')).length;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

interface ProdCallbin {
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** A whole callbin in production mode on loopback listeners, with extra settings. */
async function startProduction(extra: Record<string, unknown> = {}): Promise<ProdCallbin> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callbin-e2e-sipdest-'));
  const rtpPortMin = 20_000 + 2 * Math.floor(Math.random() * 9_000);
  const config = loadConfig(
    {},
    {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      logLevel: 'silent',
      rtpPortMin,
      rtpPortMax: rtpPortMin + 199,
      mode: 'production',
      ...extra,
    },
  );
  const handle = await startCallbin(config, { logger: silentLogger });
  const key = handle.admin?.accessKey ?? '';
  return {
    api: (method, path, body) => apiCall(handle.apiUrl, key, method, path, body),
    close: async () => {
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function callTo(target: string): unknown {
  return { source: SOURCE, destinations: [{ type: 'sip', target }], actions: HANGUP };
}

describe('customer sip: destinations in production mode', () => {
  let cb: ProdCallbin;
  let v4: Listener;
  let v6: Listener;

  before(async () => {
    cb = await startProduction();
    v4 = await Listener.open('127.0.0.1');
    v6 = await Listener.open('::1');
  });
  after(async () => {
    await cb.close();
    await v4.close();
    await v6.close();
  });

  it('POST /calls answers 400 SIP_TARGET_FORBIDDEN for loopback, private, link-local and localhost targets, and sends nothing', async () => {
    const targets = [
      `sip:x@127.0.0.1:${v4.port}`,
      'sip:x@10.0.0.1',
      'x@169.254.1.1:5060',
      `sip:x@[::1]:${v6.port}`,
      `sip:x@localhost:${v4.port}`,
      `sips:x@192.168.1.20;transport=tls`,
    ];
    for (const target of targets) {
      const res = await cb.api('POST', '/v1.0/calls', callTo(target));
      assert.equal(res.status, 400, `${target}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.reason, 'SIP_TARGET_FORBIDDEN', target);
      assert.deepEqual(
        res.body.error.details.map((d: { field: string }) => d.field),
        ['destinations[0].target'],
        target,
      );
    }
    await sleep(500);
    assert.equal(v4.invites() + v6.invites(), 0, 'no INVITE reached a loopback listener');
  });

  it('a host name resolving to loopback is refused at dial time: the call fails local/failed, no INVITE is sent', async () => {
    // `127.1` is a host name to SIP (no dotted quad) that the system resolver maps to 127.0.0.1.
    const created = expectStatus(await cb.api('POST', '/v1.0/calls', callTo(`sip:x@127.1:${v4.port}`)), 200);
    const call = await waitForCall(cb, created.calls[0].id, (c) => c.status === 'hangup');
    assert.deepEqual([call.hangup_by, call.hangup_reason], ['local', 'failed']);
    await sleep(300);
    assert.equal(v4.invites(), 0);
  });

  it('a flow `call` action to an internal sip: address dials nothing', async () => {
    const flow = expectStatus(
      await cb.api('POST', '/v1.0/activeflows', {
        actions: [
          {
            type: 'call',
            option: {
              source: SOURCE,
              destinations: [{ type: 'sip', target: `sip:agent@127.0.0.1:${v4.port}` }],
              actions: HANGUP,
            },
          },
        ],
      }),
      200,
    );
    const deadline = Date.now() + 10_000;
    let status = '';
    while (status !== 'ended' && Date.now() < deadline) {
      status = (await cb.api('GET', `/v1.0/activeflows/${flow.id}`)).body.status;
      await sleep(50);
    }
    assert.equal(status, 'ended');
    await sleep(500);
    assert.equal(v4.invites(), 0);
  });

  it('a provider on 127.0.0.1 (set by the admin) is still dialled for tel calls', async () => {
    const provider = await Listener.open('127.0.0.1');
    try {
      const created = expectStatus(
        await cb.api('POST', '/v1.0/providers', {
          hostname: '127.0.0.1',
          port: provider.port,
          transport: 'udp',
          name: 'internal trunk',
          codecs: ['PCMU'],
        }),
        200,
      );
      expectStatus(await cb.api('POST', '/v1.0/routes', { provider_id: created.id, target: '+1', priority: 1 }), 200);
      expectStatus(
        await cb.api('POST', '/v1.0/calls', {
          source: SOURCE,
          destinations: [{ type: 'tel', target: '+15550002000' }],
          actions: HANGUP,
        }),
        200,
      );
      await until('the INVITE at the provider', () => provider.invites() > 0);
      const direct = await cb.api('POST', '/v1.0/calls', callTo(`sip:x@127.0.0.1:${provider.port}`));
      assert.equal(direct.status, 400, 'the same address as a customer sip: destination is refused');
    } finally {
      await provider.close();
    }
  });
});

describe('customer sip: destinations with CALLBIN_ALLOW_PRIVATE_TARGETS=127.0.0.1', () => {
  it('dials a sip: destination at 127.0.0.1 and still refuses 10.0.0.1', async () => {
    const cb = await startProduction({ allowPrivateTargets: '127.0.0.1' });
    const listener = await Listener.open('127.0.0.1');
    try {
      expectStatus(await cb.api('POST', '/v1.0/calls', callTo(`sip:x@127.0.0.1:${listener.port}`)), 200);
      await until('the INVITE at 127.0.0.1', () => listener.invites() > 0);
      assert.equal((await cb.api('POST', '/v1.0/calls', callTo('sip:x@10.0.0.1'))).status, 400);
    } finally {
      await cb.close();
      await listener.close();
    }
  });
});
