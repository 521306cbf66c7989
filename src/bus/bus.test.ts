import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BusError } from './bus.ts';
import { busContract } from './testing/bus-contract.ts';
import { InProcessBroker, InProcessBus } from './in-process-bus.ts';
import { connectNatsBus } from './nats-bus.ts';
import { ALL_EVENTS, eventsSubject, nodeCommandSubject, nodePingSubject, nodeSubjectToken } from './subjects.ts';

const natsUrl = process.env.CALLBIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

busContract('in-process', async () => {
  const broker = new InProcessBroker();
  return { a: new InProcessBus({ broker }), b: new InProcessBus({ broker }) };
});

// Never skipped: without a NATS server every test of this half fails, naming the URL.
busContract('NATS', async () => ({
  a: await connectNatsBus(natsUrl, { name: 'bus-contract-a' }),
  b: await connectNatsBus(natsUrl, { name: 'bus-contract-b' }),
}));

describe('connectNatsBus', () => {
  it('a server that does not answer rejects UNREACHABLE naming NATS and the URL (each of a list tried once)', async () => {
    const url = 'nats://127.0.0.1:1,nats://user:secret@127.0.0.1:2';
    await assert.rejects(connectNatsBus(url, { name: 'unreachable', timeoutMs: 2_000 }), (err: unknown) => {
      assert.ok(err instanceof BusError);
      assert.equal(err.code, 'UNREACHABLE');
      assert.match(err.message, /^cannot reach NATS at nats:\/\/127\.0\.0\.1:1,nats:\/\/\*\*\*@127\.0\.0\.1:2: /);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  });
});

describe('subjects', () => {
  it("carry a node id as one token ('.' becomes '_') and a customer's events under callbin.events", () => {
    assert.equal(nodeSubjectToken('host.example-5060'), 'host_example-5060');
    assert.equal(nodePingSubject('n1'), 'callbin.node.n1.ping');
    assert.equal(nodeCommandSubject('a.b'), 'callbin.node.a_b.cmd');
    const customer = '0b6e0a3e-4f0e-4d55-9a36-1b1f4f4d9c11';
    assert.equal(eventsSubject(customer), `callbin.events.${customer}`);
    assert.equal(ALL_EVENTS, 'callbin.events.>');
    assert.throws(() => nodeSubjectToken('a*b'));
    assert.throws(() => eventsSubject('a.b'));
  });
});
