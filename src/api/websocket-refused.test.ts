import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EventHub } from '../events/index.ts';
import { FakeClock, silentLogger } from '../shared/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { buildServer, ensureProjectAdmin } from './index.ts';

/** Sends a WebSocket upgrade without credentials; resolves with the status line and whether the server closed the connection. */
function refusedUpgrade(port: number, path: string): Promise<{ statusLine: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const deadline = setTimeout(() => {
      socket.destroy();
      resolve({ statusLine: text.split('\r\n')[0] ?? '', closedByServer: false });
    }, 5_000);
    socket.on('data', (chunk) => (text += chunk.toString('latin1')));
    socket.on('end', () => {
      clearTimeout(deadline);
      socket.destroy();
      resolve({ statusLine: text.split('\r\n')[0] ?? '', closedByServer: true });
    });
    socket.on('error', reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
  });
}

describe('WebSocket upgrades refused before the route', () => {
  let dir: string;
  let store: Store;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let port = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-ws-refused-'));
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    store = await openStore({ dataDir: dir, clock });
    await ensureProjectAdmin(store, { dataDir: dir, adminKey: '' });
    app = await buildServer({
      store,
      clock,
      logger: silentLogger,
      jwtSecret: randomBytes(32),
      sipDomain: 'sip.test',
      mode: 'local',
      rateLimitPerSec: 10_000,
      rateLimitBurst: 10_000,
      events: new EventHub(),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an upgrade without credentials gets 401 and the server closes the connection (it is not left open)', async () => {
    for (const path of ['/v1.0/ws', '/v1.0/calls/00000000-0000-4000-8000-000000000001/media_stream']) {
      const { statusLine, closedByServer } = await refusedUpgrade(port, path);
      assert.match(statusLine, / 401 /, path);
      assert.ok(closedByServer, `${path}: the refused upgrade's connection was left open`);
    }
  });
});
