import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EventHub } from '../events/index.ts';
import { FakeClock } from '../shared/index.ts';
import { type TestServer, openTestStore, startTestServer } from './testing/test-server.ts';

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
  let server: TestServer;
  before(async () => {
    const base = await openTestStore(new FakeClock(Date.UTC(2026, 0, 1)), 'callbin-ws-refused-');
    server = await startTestServer(base, { deps: { events: new EventHub() }, listen: true });
  });
  after(() => server.close());

  it('an upgrade without credentials gets 401 and the server closes the connection (it is not left open)', async () => {
    for (const path of ['/v1.0/ws', '/v1.0/calls/00000000-0000-4000-8000-000000000001/media_stream']) {
      const { statusLine, closedByServer } = await refusedUpgrade(server.port, path);
      assert.match(statusLine, / 401 /, path);
      assert.ok(closedByServer, `${path}: the refused upgrade's connection was left open`);
    }
  });
});
