import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CallService } from './call-service.ts';
import { address, makeHarness } from './testing/fake-ports.ts';
import { CUSTOMER, current, dialOne, outgoingRequest, useRoutes } from './testing/call-fixtures.ts';

describe('creating outgoing calls', () => {
  it('validates every destination before anything is created or dialled', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    await assert.rejects(
      h.service.createOutgoing(
        outgoingRequest({ destinations: [address('tel', '+821012345678'), address('tel', '+82 10 1234')] }),
      ),
      (err: { code: string; details: { field: string }[] }) => {
        assert.equal(err.code, 'INVALID_E164');
        assert.equal(err.details[0]?.field, 'destinations[1].target');
        return true;
      },
    );
    assert.equal(h.store.rows.size, 0);
    assert.equal(h.signaling.attempts.length, 0);
    assert.equal(h.flows.created.length, 0);
  });

  it('ROUTE_NOT_FOUND names the destination without a route when no destination is left; nothing is created', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    await assert.rejects(
      h.service.createOutgoing(
        outgoingRequest({ destinations: [address('tel', '+15550009998'), address('tel', '+15550009999')] }),
      ),
      (err: { code: string; details: { field: string }[] }) => {
        assert.equal(err.code, 'ROUTE_NOT_FOUND');
        assert.equal(err.details[0]?.field, 'destinations[0]');
        return true;
      },
    );
    assert.equal(h.store.rows.size, 0);
    assert.equal(h.flows.created.length, 0);
  });

  it('a destination without a route, an unknown extension or a refused SIP target is skipped; the others are dialled', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const { clock, store, signaling, media, flows, routing, directory, recorder } = h;
    const sipTargets = { refusal: (t: string) => (t.endsWith('@127.0.0.1') ? 'a loopback address' : undefined) };
    const service = new CallService({
      store,
      signaling,
      media,
      flows,
      routing,
      directory,
      recorder,
      clock,
      sipTargets,
    });
    const calls = await service.createOutgoing(
      outgoingRequest({
        destinations: [
          address('tel', '+15550009999'),
          address('extension', 'nobody'),
          address('sip', 'bob@127.0.0.1'),
          address('tel', '+821012345678'),
        ],
      }),
    );
    await service.whenIdle();
    assert.deepEqual(
      calls.map((c) => c.destination.target),
      ['+821012345678'],
    );
    assert.equal(signaling.attempts.length, 1);
    assert.equal(flows.created.length, 1);
    await assert.rejects(
      service.createOutgoing(outgoingRequest({ destinations: [address('sip', 'bob@127.0.0.1')] })),
      (err: { code: string; details: { field: string }[] }) =>
        err.code === 'SIP_TARGET_FORBIDDEN' && err.details[0]?.field === 'destinations[0].target',
    );
    service.close();
  });

  it('an unknown flow is FLOW_NOT_FOUND and an unknown extension EXTENSION_NOT_FOUND', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    await assert.rejects(
      h.service.createOutgoing(outgoingRequest({ flow_id: 'f0000000-0000-4000-8000-00000000dead' })),
      { code: 'FLOW_NOT_FOUND' },
    );
    await assert.rejects(
      h.service.createOutgoing(outgoingRequest({ destinations: [address('extension', 'nobody')] })),
      { code: 'EXTENSION_NOT_FOUND' },
    );
    const { flow_id: _unused, ...withoutFlow } = outgoingRequest();
    await assert.rejects(h.service.createOutgoing(withoutFlow), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(h.service.createOutgoing(outgoingRequest({ destinations: [address('conference', 'x')] })), {
      code: 'INVALID_ADDRESS',
    });
    assert.equal(h.store.rows.size, 0);
  });

  it('creates one dialing call per destination with its activeflow and the first route attempt', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    h.directory.extensions.set('alice', ['sip:alice@192.0.2.10:5060', 'sip:alice@192.0.2.11:5060']);
    const calls = await h.service.createOutgoing(
      outgoingRequest({
        destinations: [
          address('tel', '+821012345678'),
          address('sip', 'bob@example.com'),
          address('extension', 'alice'),
        ],
        metadata: { order: 7 },
        anonymous: 'yes',
      }),
    );
    await h.service.whenIdle();
    assert.equal(calls.length, 3);
    for (const c of calls) {
      assert.equal(c.status, 'dialing');
      assert.equal(c.customer_id, CUSTOMER);
      assert.deepEqual(c.metadata, { order: 7 });
      assert.ok(h.flows.created.some((f) => f.activeflow_id === c.activeflow_id));
    }
    assert.deepEqual(
      calls[0]?.route_attempts.map((a) => [a.route_id, a.provider_id, a.reason]),
      [['r1', 'p1', '']],
    );
    assert.deepEqual(calls[1]?.route_attempts, []);
    const targets = h.signaling.attempts.map((a) => a.request.target);
    assert.deepEqual(
      targets.map((t) => t.kind),
      ['provider', 'sip', 'contacts'],
    );
    assert.deepEqual(targets[2]?.kind === 'contacts' ? targets[2].contacts : [], [
      'sip:alice@192.0.2.10:5060',
      'sip:alice@192.0.2.11:5060',
    ]);
    assert.ok(h.signaling.attempts.every((a) => a.request.anonymous));
  });

  it('an extension with no registered contact ends failed', async () => {
    const h = makeHarness();
    h.directory.extensions.set('away', []);
    const call = await dialOne(h, { destinations: [address('extension', 'away')] });
    const ended = await current(h, call.id);
    assert.deepEqual([ended.status, ended.hangup_reason], ['hangup', 'failed']);
  });

  it('events are published in-process after they are stored', async () => {
    const h = makeHarness();
    useRoutes(h, 1);
    const seen: string[] = [];
    h.service.onEvent((e) => {
      assert.ok(h.store.events.some((stored) => stored === e));
      seen.push(e.type);
    });
    await dialOne(h);
    assert.deepEqual(seen, ['call_created']);
  });
});
