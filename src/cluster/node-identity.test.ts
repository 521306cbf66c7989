import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connectNatsBus, type Bus } from '../bus/index.ts';
import { AppError, silentLogger } from '../shared/index.ts';
import { assertNodeIdFree, connectClusterBus, resolveNodeId, serveNodePing } from './node-identity.ts';

const natsUrl = process.env.CALLBIN_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('resolveNodeId', () => {
  it('takes CALLBIN_NODE_ID as it is', () => {
    assert.equal(resolveNodeId({ nodeId: 'node-1', sipPort: 5060 }, 'host'), 'node-1');
  });

  it('derives <host>-<SIP port>, replacing what the id pattern refuses', () => {
    assert.equal(resolveNodeId({ nodeId: '', sipPort: 5060 }, 'sip1.example.com'), 'sip1-example-com-5060');
    assert.equal(resolveNodeId({ nodeId: '', sipPort: 5070 }, 'my host_é'), 'my-host_--5070');
    assert.equal(resolveNodeId({ nodeId: '', sipPort: 5060 }, '-odd'), 'n-odd-5060');
    const long = resolveNodeId({ nodeId: '', sipPort: 5060 }, 'h'.repeat(100));
    assert.match(long, /^[A-Za-z0-9][A-Za-z0-9_:-]{0,62}$/);
  });
});

describe('node id clash check over NATS', () => {
  let a: Bus;
  let b: Bus;
  const nodeId = `clash-${randomBytes(5).toString('hex')}`;
  before(async () => {
    a = await connectNatsBus(natsUrl, { name: 'identity-a' });
    b = await connectNatsBus(natsUrl, { name: 'identity-b' });
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it('an id nobody answers to is free', async () => {
    await assertNodeIdFree(b, nodeId);
  });

  it('an id a running node answers to is NODE_ID_IN_USE, naming the id and the other API; free again once it stops', async () => {
    const stop = serveNodePing(a, nodeId, {
      apiUrl: 'http://127.0.0.1:1234',
      sipAddress: 'sip:127.0.0.1:5060',
      startedAt: '2026-12-07T12:00:00.000Z',
    });
    await a.flush();
    await assert.rejects(assertNodeIdFree(b, nodeId), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'NODE_ID_IN_USE');
      assert.match(err.message, new RegExp(`node id ${nodeId} \\(API http://127\\.0\\.0\\.1:1234`));
      return true;
    });
    const other = `${nodeId}x`;
    await assertNodeIdFree(b, other);
    stop();
    await a.flush();
    await assertNodeIdFree(b, nodeId);
  });

  it('the ping answers JSON with the node and its addresses', async () => {
    const id = `${nodeId}-ping`;
    const info = { apiUrl: 'http://127.0.0.1:9', sipAddress: 'sip:127.0.0.1:9', startedAt: '2026-12-07T12:00:00.000Z' };
    const stop = serveNodePing(a, id, info);
    await a.flush();
    assert.deepEqual(JSON.parse(await b.request(`callbin.node.${id}.ping`, '', 5_000)), {
      nodeId: id,
      ...info,
    });
    stop();
  });
});

describe('connectClusterBus', () => {
  it('a NATS that does not answer is NATS_UNREACHABLE naming the URL', async () => {
    await assert.rejects(connectClusterBus('nats://127.0.0.1:1', 'n1', silentLogger, 2_000), (err: unknown) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'NATS_UNREACHABLE');
      assert.match(err.message, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1: /);
      return true;
    });
  });
});
