import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { CallService, GroupcallService, newCall, newGroupcall, newTransfer, type Call } from '../calls/index.ts';
import {
  FakeDirectory,
  FakeFlows,
  FakeMedia,
  FakeRecorder,
  FakeRouting,
  FakeSignaling,
} from '../calls/testing/fake-ports.ts';
import { ConferenceService } from '../conferences/index.ts';
import { FakeConferenceCalls, FakeConferenceMedia } from '../conferences/testing/fake-ports.ts';
import { EventHub, EventPublisher } from '../events/index.ts';
import { FlowEngine } from '../flows/index.ts';
import { FakeCallControl, FakeConferences, FakeHttp, MemoryFlows } from '../flows/testing/fake-ports.ts';
import { LocalRecordingStorage, RecordingService } from '../recordings/index.ts';
import { FakeClock, isoTime, silentLogger } from '../shared/index.ts';
import { openStore, type Store } from '../store/index.ts';
import {
  ActiveflowStoreAdapter,
  byeLeftoverDialogs,
  CallStoreAdapter,
  ConferenceStoreAdapter,
  GroupcallStoreAdapter,
  RecordingStoreAdapter,
  TransferStoreAdapter,
} from '../telephony/index.ts';
import { NodeWatcher } from './node-watcher.ts';

const SERVER = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CUSTOMER = 'c0000000-0000-4000-8000-0000000000c1';
const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

/** One node's domain services over its own store (the fakes stand in for SIP and media). */
function servicesOf(store: Store, clock: FakeClock, dir: string) {
  const publisher = new EventPublisher({ hub: new EventHub(silentLogger) });
  const callStore = new CallStoreAdapter({ store, events: publisher });
  const nodeId = store.processes.nodeId;
  const transferStore = new TransferStoreAdapter({ store, events: publisher, nodeId });
  const groupcallStore = new GroupcallStoreAdapter({ store, events: publisher, nodeId, clock });
  const calls = new CallService({
    transferStore,
    store: callStore,
    signaling: new FakeSignaling(),
    media: new FakeMedia(),
    flows: new FakeFlows(),
    routing: new FakeRouting(),
    directory: new FakeDirectory(),
    recorder: new FakeRecorder(),
    clock,
  });
  const flows = new FlowEngine({
    store: new ActiveflowStoreAdapter({ store, events: publisher }),
    flows: new MemoryFlows(),
    calls: new FakeCallControl(),
    conferences: new FakeConferences(),
    http: new FakeHttp(),
    clock,
    isSupportedLanguage: () => true,
  });
  const conferenceCalls = new FakeConferenceCalls();
  const conferences = new ConferenceService({
    store: new ConferenceStoreAdapter({ store, events: publisher }),
    media: new FakeConferenceMedia(),
    calls: conferenceCalls,
    clock,
  });
  const recordings = new RecordingService({
    store: new RecordingStoreAdapter({ store, events: publisher }),
    storage: new LocalRecordingStorage({ dir, repairWav: async () => ({ durationSec: 0 }) }),
    clock,
  });
  const groupcalls = new GroupcallService({ calls, store: groupcallStore, clock });
  return {
    callStore,
    calls,
    flows,
    conferences,
    conferenceCalls,
    recordings,
    transferStore,
    groupcallStore,
    groupcalls,
  };
}

function watcherOf(store: Store, clock: FakeClock, s: ReturnType<typeof servicesOf>, byes: string[]): NodeWatcher {
  return new NodeWatcher({
    processes: store.processes,
    clock,
    logger: silentLogger,
    intervalMs: 2_000,
    staleMs: 10_000,
    steps: {
      calls: s.calls,
      flows: s.flows,
      conferences: s.conferences,
      recordings: s.recordings,
      groupcalls: s.groupcalls,
      transfers: s.calls.transfers,
      deliveries: store.deliveries,
      byeDialogs: (nodeId) => {
        byes.push(nodeId);
        // A stored state this peer cannot use is logged and removed, as a sent BYE's is.
        return byeLeftoverDialogs({
          store,
          ua: { sendByeFromState: async () => undefined },
          logger: silentLogger,
          nodeId,
        });
      },
    },
  });
}

/** A progressing call stored by `callStore`'s node, as a live call of that node would be. */
async function storeLiveCall(callStore: CallStoreAdapter, atMs: number): Promise<Call> {
  const ringing = newCall(
    {
      id: randomUUID(),
      customer_id: CUSTOMER,
      type: 'flow',
      direction: 'incoming',
      source: { type: 'tel', target: '+15550001000', target_name: '', name: '', detail: '' },
      destination: { type: 'tel', target: '+15550002000', target_name: '', name: '', detail: '' },
      status: 'ringing',
    },
    atMs,
  );
  const call: Call = { ...ringing, status: 'progressing', tm_progressing: isoTime(atMs) };
  await callStore.save([{ call, events: [{ type: 'call_created', call }] }]);
  return call;
}

describe('NodeWatcher over PostgreSQL: a dead node is reconciled by one survivor', () => {
  const database = `callbin_watch_${randomBytes(6).toString('hex')}`;
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  const admin = new pg.Client({ connectionString: SERVER, connectionTimeoutMillis: 5000 });
  const stores: Store[] = [];
  let dir = '';
  const clock = new FakeClock(T0);
  const open = async (nodeId: string) => {
    const store = await openStore({ dataDir: dir, databaseUrl: url.toString(), clock, nodeId });
    stores.push(store);
    return store;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-watch-'));
    await admin.connect();
    await admin.query(`create database ${database}`);
  });
  after(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends the calls, activeflows, rooms and recordings of the dead node only, frees its leases, once', async () => {
    const a = await open('node-a');
    const b = await open('node-b');
    const c = await open('node-c');
    for (const s of [a, b, c])
      await s.processes.register(isoTime(clock.now()), { nodeId: s.processes.nodeId, cluster: true });
    const onA = servicesOf(a, clock, join(dir, 'a'));
    const onB = servicesOf(b, clock, join(dir, 'b'));
    const onC = servicesOf(c, clock, join(dir, 'c'));

    // Node A's live state: a call with its dialog, an activeflow, a room with a member, a recording, a leased delivery.
    const call = await storeLiveCall(onA.callStore, clock.now());
    await a.calls.saveDialog({ leg_id: randomUUID(), call_id: call.id, dialog: { callId: 'x' } }, isoTime(clock.now()));
    const flow = await onA.flows.startForApi({
      customer_id: CUSTOMER,
      actions: [{ type: 'sleep', option: { duration: 600_000 } }],
    });
    const room = await onA.conferences.create({ customer_id: CUSTOMER, name: 'room' });
    onA.conferenceCalls.add(call.id, CUSTOMER);
    void onA.conferences.join(call.id, room.id, new AbortController().signal).catch(() => undefined);
    await waitUntil(async () => ((await a.conferences.get(room.id))?.conferencecall_ids.length ?? 0) === 1);
    const recording = await onA.recordings.startRecording({
      reference_type: 'conference',
      reference_id: room.id,
      customer_id: CUSTOMER,
      source: { layout: 'mix', start: async () => ({ stop: async () => ({ reason: 'manual', durationSec: 0 }) }) },
    });
    // A groupcall and a transfer A was running when it died.
    const address = { type: 'tel', target: '+15550003000', target_name: '', name: '', detail: '' } as const;
    const groupcall = newGroupcall(
      {
        id: randomUUID(),
        customer_id: CUSTOMER,
        flow_id: randomUUID(),
        source: address,
        destinations: [address],
        ring_method: 'ring_all',
        answer_method: 'hangup_others',
      },
      clock.now(),
    );
    await onA.groupcallStore.save({ groupcall, events: [{ type: 'groupcall_created', groupcall }] });
    const transfer = {
      ...newTransfer(
        {
          id: randomUUID(),
          customer_id: CUSTOMER,
          type: 'blind',
          transferer_call_id: call.id,
          transferred_call_id: randomUUID(),
          transferee: address,
          transferee_call_id: randomUUID(),
        },
        isoTime(clock.now()),
      ),
      status: 'ringing' as const,
    };
    await onA.transferStore.save({ transfer, events: [{ type: 'transfer_created', transfer }] });
    const leased = await leaseDeliveryOf(a, call.id, clock);
    assert.equal(leased.length, 1);
    // Node B's own live call must stay.
    const ownCall = await storeLiveCall(onB.callStore, clock.now());

    const byes: string[] = [];
    const watchB = watcherOf(b, clock, onB, byes);
    const watchC = watcherOf(c, clock, onC, byes);
    // A beats once more at T0 + 2 s, then dies; B and C go on beating.
    clock.advance(2_000);
    await a.processes.beat(isoTime(clock.now()));
    const lastBeat = clock.now();
    for (let i = 0; i < 4; i++) {
      clock.advance(2_000);
      for (const s of [b, c]) await s.processes.beat(isoTime(clock.now()));
      assert.equal((await watchB.check()).size, 0, 'A is not dead before 10 s without a beat');
    }
    // B's worker is sending one of its own deliveries right now: its lease stays.
    const livelyLease = await leaseDeliveryOf(b, ownCall.id, clock);
    clock.advance(4_000);
    for (const s of [b, c]) await s.processes.beat(isoTime(clock.now()));
    const [byB, byC] = await Promise.all([watchB.check(), watchC.check()]);
    const reports = [...byB.entries(), ...byC.entries()];
    assert.equal(reports.length, 1, 'exactly one survivor reconciled A');
    const [nodeId, report] = reports[0]!;
    assert.equal(nodeId, 'node-a');
    assert.deepEqual(
      {
        calls: report.calls,
        flows: report.flows,
        rooms: report.rooms,
        recordings: report.recordings,
        groupcalls: report.groupcalls,
        transfers: report.transfers,
        failed: report.failed,
      },
      { calls: 1, flows: 1, rooms: 1, recordings: 1, groupcalls: 1, transfers: 1, failed: [] },
    );
    assert.equal(report.deliveries, 1, "A's leased delivery is pending again");
    assert.deepEqual(byes, ['node-a']);

    const ended = await a.calls.get(call.id);
    assert.deepEqual([ended?.status, ended?.hangup_by, ended?.hangup_reason], ['hangup', 'local', 'failed']);
    assert.equal(ended?.tm_hangup, isoTime(lastBeat), "the call ends at A's last heartbeat");
    const events = (await b.outbox.listForResource('call', call.id)).map((e) => e.type);
    assert.equal(events.at(-1), 'call_hangup');
    assert.equal((await b.calls.get(ownCall.id))?.status, 'progressing', "B's own call is untouched");
    assert.equal((await b.activeflows.get(flow.id))?.status, 'ended');
    const closed = await b.conferences.get(room.id);
    assert.deepEqual([closed?.status, closed?.conferencecall_ids], ['terminated', []]);
    const roomEvents = (await b.outbox.listForResource('conference', room.id)).map((e) => e.type);
    assert.deepEqual(roomEvents.slice(-3), ['conference_updated', 'conference_updated', 'conference_updated']);
    assert.equal((await onB.groupcallStore.get(groupcall.id))?.status, 'hangup', "A's groupcall ended");
    const endedTransfer = await onB.transferStore.get(transfer.id);
    assert.deepEqual([endedTransfer?.status, endedTransfer?.end_reason], ['failed', 'restart']);
    const rec = await b.recordings.get(recording.id);
    assert.equal(rec?.status, 'ended');
    assert.equal(rec?.tm_end, isoTime(lastBeat));
    assert.equal((await b.deliveries.get(leased[0]!.id))?.status, 'pending');
    assert.equal((await b.deliveries.get(livelyLease[0]!.id))?.status, 'delivering', "B's live lease is kept");
    assert.deepEqual(await b.processes.deadNodes(isoTime(clock.now()), 10_000), [], "A's rows are gone");

    // A comes back as a new incarnation: the survivor did everything, nothing is left for it.
    const again = await open('node-a');
    assert.equal(await again.processes.register(isoTime(clock.now()), { nodeId: 'node-a', cluster: true }), undefined);
    assert.deepEqual(await again.calls.listLive({ nodeId: 'node-a' }), []);
    await waitUntil(async () => (await again.calls.listDialogs({ nodeId: 'node-a' })).length === 0);
    await Promise.all([watchB.stop(), watchC.stop()]);
  });
});

/** Queues a delivery of the call's first event and leases it through `store`, as its node's worker does. */
async function leaseDeliveryOf(store: Store, callId: string, clock: FakeClock) {
  const [created] = await store.outbox.listForResource('call', callId);
  assert.ok(created);
  await store.transaction((tx) =>
    tx.deliveries.enqueue(tx, [
      {
        customer_id: CUSTOMER,
        event_id: created.event_id,
        resource_type: 'call',
        resource_id: callId,
        seq: created.seq,
        event_type: created.type,
        uri: 'http://127.0.0.1:9/hook',
        method: 'POST',
      },
    ]),
  );
  const now = clock.now();
  return store.deliveries.claimDue({ nowIso: isoTime(now), leaseUntilIso: isoTime(now + 30_000), limit: 10 });
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}
