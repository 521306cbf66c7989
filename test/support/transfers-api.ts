import assert from 'node:assert/strict';
import type { Call } from '../../src/calls/index.ts';
import { FakeIncomingLeg, address } from '../../src/calls/testing/fake-ports.ts';
import { startCallsApi } from './calls-api.ts';

/**
 * An in-process API over the real CallService (fake signalling and media) and a real SQLite store,
 * with extensions 1002-1004 registered, and a caller talking to an agent call chained to it on demand.
 */
export async function startTransfersApi(name: string) {
  const api = await startCallsApi({ name });
  const { service, fakes } = api;
  fakes.directory.extensions.set('1002', ['sip:1002@127.0.0.1:5999']);
  fakes.directory.extensions.set('1003', ['sip:1003@127.0.0.1:6000']);
  fakes.directory.extensions.set('1004', ['sip:1004@127.0.0.1:6001']);
  const idle = async () => {
    for (let i = 0; i < 3; i++) {
      await service.whenIdle();
      await service.transfers.whenIdle();
    }
  };
  /** A caller (incoming, answered) talking to an agent call chained to it. */
  const talking = async (customerId: string): Promise<{ caller: Call; agent: Call }> => {
    const caller = await service.acceptIncoming({
      customer_id: customerId,
      source: address('extension', '1001'),
      destination: address('extension', '1002'),
      flow: { actions: [] },
      leg: new FakeIncomingLeg(),
    });
    await service.answer(caller.id);
    const [agent] = await service.createOutgoing({
      customer_id: customerId,
      source: caller.source,
      destinations: [address('extension', '1002')],
      actions: [],
      master_call_id: caller.id,
    });
    assert.ok(agent);
    await idle();
    fakes.signaling.last(agent.id).answer();
    await idle();
    return { caller, agent };
  };
  const close = async () => {
    await idle();
    await api.close();
  };
  return { ...api, idle, talking, close };
}
