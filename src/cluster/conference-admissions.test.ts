import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InProcessBroker, InProcessBus } from '../bus/index.ts';
import type { Conference } from '../conferences/index.ts';
import { FakeClock, NIL_UUID } from '../shared/index.ts';
import { ConferenceAdmissions, JOIN_TOKEN_TTL_MS, requestAdmission } from './conference-admissions.ts';
import { ClusterConferenceJoins, type RemoteJoinRequest } from './conference-joins.ts';

const CUSTOMER = '11111111-1111-4111-8111-111111111111';

function conference(id: string, status: Conference['status']): Conference {
  return {
    id,
    customer_id: CUSTOMER,
    type: 'conference',
    status,
    name: '',
    detail: '',
    timeout: 0,
    pre_flow_id: NIL_UUID,
    post_flow_id: NIL_UUID,
    conferencecall_ids: [],
    recording_id: NIL_UUID,
    recording_ids: [],
    tm_create: '2026-01-01T00:00:00.000Z',
    tm_update: '2026-01-01T00:00:00.000Z',
  };
}

/** Node `room` holds conferences `live` (progressing) and `ended` (terminated); `other` is a conference of node `x`. */
function roomNode(clock: FakeClock, broker: InProcessBroker) {
  const rows = new Map([
    ['live', { c: conference('live', 'progressing'), owner: 'room' }],
    ['ended', { c: conference('ended', 'terminated'), owner: 'room' }],
    ['other', { c: conference('other', 'progressing'), owner: 'x' }],
  ]);
  const admissions = new ConferenceAdmissions({
    bus: new InProcessBus({ broker, clock }),
    nodeId: 'room',
    sipUri: 'sip:callbin@10.0.0.1:5060',
    owners: { ownerOf: async (id) => rows.get(id)?.owner },
    conferences: {
      get: async (id, scope) => {
        const c = rows.get(id)?.c;
        return c && (scope?.customerId === undefined || scope.customerId === c.customer_id) ? c : undefined;
      },
    },
    clock,
  });
  return { admissions, rows, stop: admissions.serve() };
}

describe('conference admissions between nodes', () => {
  it('grants a one-time token for a progressing conference of its own room; refuses everything else', async () => {
    const clock = new FakeClock();
    const broker = new InProcessBroker();
    const { admissions, stop } = roomNode(clock, broker);
    const bus = new InProcessBus({ broker, clock });
    const ask = (conferenceId: string, customerId = CUSTOMER) =>
      requestAdmission(bus, 'room', { conferenceId, callId: 'call-1', customerId });
    const grant = await ask('live');
    assert.equal(grant.sipUri, 'sip:callbin@10.0.0.1:5060');
    assert.ok(grant.token.length >= 40, 'a long random token');
    assert.notEqual((await ask('live')).token, grant.token);
    await assert.rejects(ask('ended'), { code: 'CONFERENCE_NOT_PROGRESSING' });
    await assert.rejects(ask('other'), { code: 'CONFERENCE_NOT_FOUND' });
    await assert.rejects(ask('missing'), { code: 'CONFERENCE_NOT_FOUND' });
    await assert.rejects(ask('live', '22222222-2222-4222-8222-222222222222'), { code: 'CONFERENCE_NOT_FOUND' });
    for (const data of ['not json', '{"op":"admit"}', '{"op":"other","conferenceId":"live"}']) {
      const bad = JSON.parse(await bus.request('callbin.node.room.conf', data, 1000));
      assert.equal(bad.ok, false, data);
      assert.equal(bad.error.code, 'INVALID_ARGUMENT', data);
    }

    assert.deepEqual(admissions.consume(grant.token), { conferenceId: 'live', callId: 'call-1', customerId: CUSTOMER });
    assert.equal(admissions.consume(grant.token), undefined, 'used once');
    assert.equal(admissions.consume('forged'), undefined);
    stop();
    await assert.rejects(ask('live'), { code: 'NODE_UNAVAILABLE' });
  });

  it('a token expires after 30 s', async () => {
    const clock = new FakeClock();
    const { admissions, stop } = roomNode(clock, new InProcessBroker());
    const late = await admissions.admit({ conferenceId: 'live', callId: 'c', customerId: CUSTOMER });
    const inTime = await admissions.admit({ conferenceId: 'live', callId: 'c', customerId: CUSTOMER });
    clock.advance(JOIN_TOKEN_TTL_MS - 1);
    assert.ok(admissions.consume(inTime.token));
    clock.advance(1);
    assert.equal(admissions.consume(late.token), undefined);
    await admissions.admit({ conferenceId: 'live', callId: 'c', customerId: CUSTOMER });
    assert.equal(admissions.size, 1, 'expired tokens are swept');
    stop();
  });
});

describe('ClusterConferenceJoins', () => {
  function joins(clock: FakeClock, broker: InProcessBroker, status: () => string | undefined) {
    const seen: { local: string[]; legs: RemoteJoinRequest[]; told: string[] } = { local: [], legs: [], told: [] };
    let legSignal: AbortSignal | undefined;
    const port = new ClusterConferenceJoins({
      nodeId: 'caller',
      bus: new InProcessBus({ broker, clock }),
      local: {
        join: async (callId) => void seen.local.push(callId),
        flowsOf: async () => undefined,
      },
      owners: { ownerOf: async (id) => (id === 'live' ? 'room' : id === 'mine' ? 'caller' : undefined) },
      calls: {
        get: async () => ({ customer_id: CUSTOMER }),
        setConference: async (_id, conferenceId) => void seen.told.push(conferenceId),
      },
      statusOf: async () => status(),
      legs: {
        join: (request, signal) => {
          seen.legs.push(request);
          legSignal = signal;
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        },
      },
      clock,
    });
    return { port, seen, legSignal: () => legSignal };
  }

  it('joins its own and unknown owners locally, another node over a leg; the leg ends when the conference is stored as ended', async () => {
    const clock = new FakeClock();
    const broker = new InProcessBroker();
    const room = roomNode(clock, broker);
    let status: string | undefined = 'progressing';
    const { port, seen, legSignal } = joins(clock, broker, () => status);
    const never = new AbortController().signal;
    await port.join('call-mine', 'mine', never);
    await port.join('call-unknown', 'unknown', never);
    assert.deepEqual(seen.local, ['call-mine', 'call-unknown']);

    const joined = port.join('call-remote', 'live', never);
    for (let i = 0; i < 20 && seen.legs.length === 0; i++) await new Promise((r) => setImmediate(r));
    assert.equal(seen.legs.length, 1);
    const [leg] = seen.legs;
    assert.equal(leg?.sipUri, 'sip:callbin@10.0.0.1:5060');
    assert.ok(leg && room.admissions.consume(leg.token), 'the token the room node granted');
    clock.advance(2_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(legSignal()?.aborted, false, 'still progressing: the leg stays');
    status = 'terminated';
    clock.advance(2_000);
    await joined;
    assert.equal(legSignal()?.aborted, true);
    assert.deepEqual(seen.told, ['live', NIL_UUID]);
    room.stop();
  });

  it("aborting the flow's signal ends the leg and rejects with its reason", async () => {
    const clock = new FakeClock();
    const broker = new InProcessBroker();
    const room = roomNode(clock, broker);
    const { port, seen } = joins(clock, broker, () => 'progressing');
    const flow = new AbortController();
    const joined = port.join('call-remote', 'live', flow.signal);
    for (let i = 0; i < 20 && seen.legs.length === 0; i++) await new Promise((r) => setImmediate(r));
    flow.abort(new Error('hung up'));
    await assert.rejects(joined, /hung up/);
    await assert.rejects(port.join('x', 'ended-or-not', flow.signal), /hung up/);
    room.stop();
  });
});
