import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseMessage, serializeMessage } from '../message/index.ts';
import type { SipMessage } from '../message/index.ts';
import { SipTransport } from './sip-transport.ts';
import type { MessagePeer } from './transport-types.ts';

type Seen = { msg: SipMessage; direction: 'in' | 'out'; peer: MessagePeer; bytes: Buffer };

function options(callId: string, port: number): SipMessage {
  return parseMessage(
    Buffer.from(
      `OPTIONS sip:b@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK${callId}\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: ${callId}\r\n` +
        'CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    ),
  );
}

describe('SipTransport message observers (docs/timeline.md "SIP ladder")', () => {
  const a = new SipTransport();
  const b = new SipTransport();
  let aPort = 0;
  let bPort = 0;

  before(async () => {
    aPort = (await a.listenUdp({ host: '127.0.0.1', port: 0 })).port;
    bPort = (await b.listenUdp({ host: '127.0.0.1', port: 0 })).port;
  });

  after(async () => {
    await a.close();
    await b.close();
  });

  function nextAtB(): Promise<SipMessage> {
    return new Promise((resolve) => {
      const off = b.on('message', (msg) => {
        off();
        resolve(msg);
      });
    });
  }

  it('sees each message sent (after the send) and received (before its handlers), with peer and wire bytes', async () => {
    const sent: Seen[] = [];
    const received: Seen[] = [];
    const offA = a.observe((msg, direction, peer, bytes) => sent.push({ msg, direction, peer, bytes }));
    const offB = b.observe((msg, direction, peer, bytes) => received.push({ msg, direction, peer, bytes }));
    const arrived = nextAtB().then(() => received.length);
    const msg = options('obs-1', bPort);
    await a.send(msg, { transport: 'UDP', host: '127.0.0.1', port: bPort });
    assert.equal(await arrived, 1, 'the observer saw the message before the message handlers ran');
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]?.peer, { transport: 'UDP', address: '127.0.0.1', port: bPort });
    assert.equal(sent[0]?.direction, 'out');
    assert.equal(sent[0]?.bytes.toString(), serializeMessage(msg).toString());
    assert.equal(received[0]?.direction, 'in');
    assert.equal(received[0]?.peer.port, aPort);
    assert.equal(received[0]?.msg.headers.get('call-id'), 'obs-1');
    assert.ok(received[0]?.bytes.toString().startsWith('OPTIONS sip:b@'));
    offA();
    offB();
    const again = nextAtB();
    await a.send(options('obs-2', bPort), { transport: 'UDP', host: '127.0.0.1', port: bPort });
    await again;
    assert.equal(sent.length, 1, 'a stopped observer sees nothing more');
    assert.equal(received.length, 1);
  });

  it('a throwing observer neither fails the send nor keeps the message from its handlers', async () => {
    const offA = a.observe(() => {
      throw new Error('observer bug');
    });
    const offB = b.observe(() => {
      throw new Error('observer bug');
    });
    const arrived = nextAtB();
    await a.send(options('obs-3', bPort), { transport: 'UDP', host: '127.0.0.1', port: bPort });
    assert.equal((await arrived).headers.get('call-id'), 'obs-3');
    offA();
    offB();
  });
});
