import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { FakeClock } from '../../shared/index.ts';
import { parseMessage } from '../message/index.ts';
import { sourceKey } from './connection-limits.ts';
import { ConnectionWatchdog } from './connection-watchdog.ts';
import type { WatchdogExpiry } from './connection-watchdog.ts';
import { SipTransport } from './sip-transport.ts';

const OPTIONS =
  'OPTIONS sip:peer@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKcap\r\nMax-Forwards: 70\r\n' +
  'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:peer@127.0.0.1>\r\nCall-ID: cap-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n';

describe('sourceKey', () => {
  it('charges IPv4 peers by address and IPv6 peers by /64', () => {
    assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:2:ffff:0:0:1'));
    assert.notEqual(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:3::5'));
    assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(sourceKey(undefined), undefined);
  });
});

describe('ConnectionWatchdog', () => {
  const limits = { idleTimeoutMs: 10_000, messageDeadlineMs: 2_000 };

  it('expires a started message at its deadline; more bytes do not extend it', () => {
    const clock = new FakeClock();
    const expired: WatchdogExpiry[] = [];
    const dog = new ConnectionWatchdog({ clock, ...limits }, (why) => expired.push(why));
    dog.started();
    clock.advance(1_500);
    dog.started();
    clock.advance(499);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, ['deadline']);
  });

  it('restarts the idle timeout only on whole messages', () => {
    const clock = new FakeClock();
    const expired: WatchdogExpiry[] = [];
    const dog = new ConnectionWatchdog({ clock, idleTimeoutMs: 10_000, messageDeadlineMs: 60_000 }, (why) =>
      expired.push(why),
    );
    clock.advance(9_000);
    dog.completed();
    clock.advance(9_000);
    dog.started();
    clock.advance(999);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, ['idle'], 'the bytes of an unfinished message are no activity');
    dog.stop();
    assert.equal(clock.pending, 0);
  });
});

describe('SipTransport caps and connections callbin opens', () => {
  it('never refuses its own outbound connections, but counts them against the total', async () => {
    const peers: Socket[] = [];
    const servers = [createServer((s) => peers.push(s)), createServer((s) => peers.push(s))];
    const ports: number[] = [];
    for (const server of servers) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      ports.push((server.address() as { port: number }).port);
    }
    const transport = new SipTransport({ maxConnections: 1, maxConnectionsPerSource: 1 });
    try {
      const { port } = await transport.listenTcp({ host: '127.0.0.1', port: 0 });
      for (const peerPort of ports)
        await transport.send(parseMessage(Buffer.from(OPTIONS)), {
          transport: 'TCP',
          host: '127.0.0.1',
          port: peerPort,
        });
      assert.equal(transport.stats().connections, 2, 'both outbound connections are open over a total of 1');
      const inbound = connect({ host: '127.0.0.1', port });
      inbound.on('error', () => {});
      await new Promise<void>((resolve) => inbound.once('close', () => resolve()));
      assert.equal(transport.stats().refusedTotal, 1, 'an inbound connection finds the table full');
    } finally {
      await transport.close();
      for (const s of peers) s.destroy();
      for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
