import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus, nodeCommandSubject } from '../bus/index.ts';
import { makeHarness } from '../calls/testing/fake-ports.ts';
import { CUSTOMER, answerOutgoing, current, dialOne, useRoutes } from '../calls/testing/call-fixtures.ts';
import type { Harness } from '../calls/testing/call-fixtures.ts';
import type { ConferenceService } from '../conferences/index.ts';
import type { FlowEngine } from '../flows/index.ts';
import {
  AppError,
  InvalidStateError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  newId,
  silentLogger,
} from '../shared/index.ts';
import { runCommand, startCommandServer } from './command-server.ts';
import { errorFromWire, errorToWire } from './command-wire.ts';
import { ClusterActiveflows } from './remote-activeflows.ts';
import { ClusterCalls } from './remote-calls.ts';
import { ClusterConferences } from './remote-conferences.ts';

const OTHER_CUSTOMER = 'c0000000-0000-4000-8000-000000000002';
const noFlows = { get: async () => undefined, stop: async () => undefined };
const noConferences = {
  kick: async () => assert.fail('no conference here'),
  setMuted: async () => assert.fail('no conference here'),
  update: async () => assert.fail('no conference here'),
  delete: async () => assert.fail('no conference here'),
};

/** Two nodes on one in-process broker: `a` holds the calls, `b` serves the API for them. */
function twoNodes(options: { timeoutMs?: number } = {}) {
  const broker = new InProcessBroker();
  const busA = new InProcessBus({ broker });
  const busB = new InProcessBus({ broker });
  const a = makeHarness();
  const b = makeHarness();
  const owners = new Map<string, string>();
  const stopServing = startCommandServer({
    bus: busA,
    nodeId: 'node-a',
    calls: a.service,
    flows: noFlows,
    conferences: noConferences,
    logger: silentLogger,
  });
  const calls = new ClusterCalls({
    nodeId: 'node-b',
    bus: busB,
    local: b.service,
    calls: { ownerOf: async (id) => owners.get(id) },
    transferEvents: { listForResource: async () => [] },
    ...options,
  });
  return { broker, busA, busB, a, b, owners, stopServing, calls };
}

async function answeredOn(h: Harness, owners: Map<string, string>, node: string) {
  useRoutes(h, 1);
  const call = await dialOne(h);
  await answerOutgoing(h, call.id);
  owners.set(call.id, node);
  return call;
}

describe('ClusterCalls', () => {
  it('runs a command for a call of another node on that node and answers its public call', async () => {
    const n = twoNodes();
    const call = await answeredOn(n.a, n.owners, 'node-a');
    const held = await n.calls.setHold(call.id, true, undefined, CUSTOMER);
    assert.equal(held.id, call.id);
    assert.equal(held.hold, true);
    const ended = await n.calls.hangup(call.id, { reason: 'normal' }, CUSTOMER);
    assert.equal(ended.status, 'hangup');
    assert.equal((await current(n.a, call.id)).status, 'hangup');
  });

  it("gives the owner's errors as the same error family", async () => {
    const n = twoNodes();
    const call = await answeredOn(n.a, n.owners, 'node-a');
    await n.a.service.hangup(call.id);
    await assert.rejects(
      n.calls.setHold(call.id, true, undefined, CUSTOMER),
      (err) => err instanceof InvalidStateError && err.code === 'CALL_ALREADY_HANGUP',
    );
  });

  it('answers 404 CALL_NOT_FOUND for a call of another customer, checked by the owner', async () => {
    const n = twoNodes();
    const call = await answeredOn(n.a, n.owners, 'node-a');
    await assert.rejects(
      n.calls.hangup(call.id, {}, OTHER_CUSTOMER),
      (err) => err instanceof NotFoundError && err.code === 'CALL_NOT_FOUND',
    );
    assert.equal((await current(n.a, call.id)).status, 'progressing');
  });

  it('answers NODE_UNAVAILABLE when the owner serves no commands, naming the node and the call', async () => {
    const n = twoNodes();
    const call = await answeredOn(n.a, n.owners, 'node-a');
    n.stopServing();
    await assert.rejects(n.calls.hangup(call.id, {}, CUSTOMER), (err) => {
      assert.ok(err instanceof UnavailableError);
      assert.equal(err.code, 'NODE_UNAVAILABLE');
      assert.match(err.message, /node node-a/);
      assert.match(err.message, new RegExp(call.id));
      return true;
    });
  });

  it('answers CALL_ALREADY_HANGUP, not NODE_UNAVAILABLE, for a call of a silent owner stored as hung up', async () => {
    const n = twoNodes();
    // A call stored as hung up by a survivor's reconciliation, whose owner no longer answers.
    const call = await answeredOn(n.b, n.owners, 'node-a');
    await n.b.service.hangup(call.id);
    n.stopServing();
    await assert.rejects(n.calls.hangup(call.id, {}, CUSTOMER), { code: 'CALL_ALREADY_HANGUP' });
  });

  it('answers NODE_UNAVAILABLE when the owner does not reply before the deadline', async () => {
    const n = twoNodes({ timeoutMs: 50 });
    n.stopServing();
    n.busA.serve(nodeCommandSubject('node-a'), () => new Promise<string>(() => undefined));
    const call = await answeredOn(n.a, n.owners, 'node-a');
    await assert.rejects(n.calls.stopMedia(call.id, CUSTOMER), { code: 'NODE_UNAVAILABLE' });
  });

  it('runs a command here when the owner is this node or unknown (the single-node errors)', async () => {
    const n = twoNodes();
    const mine = await answeredOn(n.b, n.owners, 'node-b');
    assert.equal((await n.calls.setMute(mine.id, 'in', true, CUSTOMER)).mute_direction, 'in');
    await assert.rejects(n.calls.hangup(newId(), {}, CUSTOMER), { code: 'CALL_NOT_FOUND' });
  });

  it('creates a chained call on the node of its master', async () => {
    const n = twoNodes();
    const master = await answeredOn(n.a, n.owners, 'node-a');
    const [chained] = await n.calls.createOutgoing({
      customer_id: CUSTOMER,
      source: { type: 'tel', target: '+15550001111' },
      destinations: [{ type: 'tel', target: '+821012345679' }],
      flow_id: '11111111-1111-4111-8111-111111111111',
      master_call_id: master.id,
    });
    assert.ok(chained);
    assert.equal(chained.master_call_id, master.id);
    assert.ok(n.a.service.listLive().some((c) => c.id === chained.id));
    assert.ok(!n.b.service.listLive().some((c) => c.id === chained.id));
  });
});

describe('command server', () => {
  const h = makeHarness();
  const deps = { calls: h.service, flows: noFlows, conferences: noConferences, logger: silentLogger };

  for (const [name, data] of [
    ['bad JSON', '{"op":'],
    ['an unknown op', JSON.stringify({ op: 'exec', customerId: CUSTOMER, callId: newId(), args: [] })],
    ['no customer', JSON.stringify({ op: 'hangup', callId: newId(), args: [{}] })],
    ['no args list', JSON.stringify({ op: 'hangup', customerId: CUSTOMER, callId: newId() })],
  ] as const) {
    it(`answers ${name} with an error reply`, async () => {
      const reply = JSON.parse(await runCommand(deps, data));
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, 'INVALID_ARGUMENT');
    });
  }

  it('refuses arguments of the wrong type', async () => {
    useRoutes(h, 1);
    const call = await dialOne(h);
    await answerOutgoing(h, call.id);
    const data = JSON.stringify({ op: 'setHold', customerId: CUSTOMER, callId: call.id, args: ['yes'] });
    const reply = JSON.parse(await runCommand(deps, data));
    assert.deepEqual([reply.ok, reply.error.code], [false, 'INVALID_ARGUMENT']);
    assert.equal((await current(h, call.id)).hold, false);
  });

  it("stops only the customer's own activeflow", async () => {
    const stopped: string[] = [];
    const flows = {
      get: async (id: string) => ({ id, customer_id: CUSTOMER }),
      stop: async (id: string) => void stopped.push(id),
    } as unknown as Pick<FlowEngine, 'get' | 'stop'>;
    const id = newId();
    const command = (customerId: string) =>
      JSON.stringify({ op: 'activeflowStop', customerId, callId: '', args: [id, { hangupCall: true }] });
    const foreign = JSON.parse(await runCommand({ ...deps, flows }, command(OTHER_CUSTOMER)));
    assert.equal(foreign.error.code, 'ACTIVEFLOW_NOT_FOUND');
    assert.deepEqual(stopped, []);
    assert.deepEqual(JSON.parse(await runCommand({ ...deps, flows }, command(CUSTOMER))), { ok: true, result: null });
    assert.deepEqual(stopped, [id]);
  });
});

describe('ClusterActiveflows', () => {
  it('stops an activeflow of another node there, and answers NODE_UNAVAILABLE when it is gone', async () => {
    const broker = new InProcessBroker();
    const busA = new InProcessBus({ broker });
    const id = newId();
    const stopped: string[] = [];
    const flowsA = {
      get: async () => ({ id, customer_id: CUSTOMER }),
      stop: async (afId: string) => void stopped.push(afId),
    } as unknown as Pick<FlowEngine, 'get' | 'stop'>;
    const stop = startCommandServer({
      bus: busA,
      nodeId: 'a',
      calls: makeHarness().service,
      flows: flowsA,
      conferences: noConferences,
      logger: silentLogger,
    });
    const local = { listLive: () => [], stop: async () => assert.fail('stopped here') } as unknown as FlowEngine;
    const flows = new ClusterActiveflows({
      nodeId: 'b',
      bus: new InProcessBus({ broker }),
      local,
      activeflows: { ownerOf: async () => 'a' },
    });
    await flows.stop(id, { hangupCall: true }, CUSTOMER);
    assert.deepEqual(stopped, [id]);
    stop();
    await assert.rejects(flows.stop(id, {}, CUSTOMER), { code: 'NODE_UNAVAILABLE' });
  });
});

describe('ClusterConferences', () => {
  it('kicks and mutes a conferencecall, updates and deletes a conference, on the node of its room, scoped to the customer', async () => {
    const broker = new InProcessBroker();
    const cc = { id: newId(), customer_id: CUSTOMER, conference_id: newId(), status: 'joined', muted: false };
    const asked: unknown[] = [];
    const room = {
      kick: async (id: string, scope: unknown) => (asked.push(['kick', id, scope]), { ...cc, status: 'leaving' }),
      setMuted: async (id: string, scope: unknown, muted: boolean) => (
        asked.push(['mute', id, scope]), { ...cc, muted }
      ),
      update: async (id: string, scope: unknown, patch: unknown) => (
        asked.push(['update', id, scope, patch]), { id, name: 'renamed' }
      ),
      delete: async (id: string, scope: unknown) => (asked.push(['delete', id, scope]), { id, status: 'terminating' }),
    } as unknown as Pick<ConferenceService, 'kick' | 'setMuted' | 'update' | 'delete'>;
    const stop = startCommandServer({
      bus: new InProcessBus({ broker }),
      nodeId: 'a',
      calls: makeHarness().service,
      flows: noFlows,
      conferences: room,
      logger: silentLogger,
    });
    const local = {
      getConferencecall: async () => cc,
      kick: async () => assert.fail('kicked here'),
      update: async () => assert.fail('updated here'),
      delete: async () => assert.fail('deleted here'),
    } as unknown as ConferenceService;
    const conferences = new ClusterConferences({
      nodeId: 'b',
      bus: new InProcessBus({ broker }),
      local,
      conferences: { ownerOf: async (id) => (id === cc.conference_id ? 'a' : undefined) },
    });
    const scope = { customerId: CUSTOMER };
    assert.equal((await conferences.setMuted(cc.id, scope, true)).muted, true);
    assert.equal((await conferences.kick(cc.id, scope)).status, 'leaving');
    assert.equal((await conferences.update(cc.conference_id, scope, { name: 'renamed' })).name, 'renamed');
    assert.equal((await conferences.delete(cc.conference_id, scope)).status, 'terminating');
    assert.deepEqual(asked, [
      ['mute', cc.id, scope],
      ['kick', cc.id, scope],
      ['update', cc.conference_id, scope, { name: 'renamed' }],
      ['delete', cc.conference_id, scope],
    ]);
    stop();
    await assert.rejects(conferences.kick(cc.id, scope), { code: 'NODE_UNAVAILABLE' });
  });
});

describe('errors on the wire', () => {
  it('come back as the class that gives their code its status, details kept', () => {
    const issue = { field: 'destinations[0]', reason: 'INVALID_E164' as const, message: 'not E.164' };
    const back = errorFromWire(errorToWire(new ValidationError([issue], 'INVALID_ARGUMENT')));
    assert.ok(back instanceof ValidationError);
    assert.deepEqual([back.code, back.details], ['INVALID_ARGUMENT', [issue]]);
    assert.ok(errorFromWire({ code: 'NODE_UNAVAILABLE', message: 'x' }) instanceof UnavailableError);
    assert.ok(errorFromWire({ code: 'TRANSFER_NOT_FOUND', message: 'x' }) instanceof NotFoundError);
  });

  it('an unknown code or a fault that is not an AppError is INTERNAL, without its text', () => {
    assert.equal(errorFromWire({ code: 'NO_SUCH_CODE', message: 'x' }).code, 'INTERNAL');
    assert.deepEqual(errorToWire(new Error('secret path')), {
      code: 'INTERNAL',
      message: 'internal error on the owner node',
    });
    assert.ok(errorFromWire(null) instanceof AppError);
  });
});
