import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NIL_UUID } from '../shared/index.ts';
import { newGroupcall } from './groupcall.ts';
import type { Groupcall, GroupcallChange, GroupcallEvent, GroupcallStorePort } from './groupcall.ts';
import type { GroupcallRequest } from './groupcall-request.ts';
import { GroupcallService } from './groupcall-service.ts';
import { CUSTOMER, FLOW, current } from './testing/call-fixtures.ts';
import { address, makeHarness } from './testing/fake-ports.ts';

/** An in-memory GroupcallStorePort keeping every row and the events in order; `failNext` makes one save throw. */
class MemoryGroupcallStore implements GroupcallStorePort {
  readonly rows = new Map<string, Groupcall>();
  readonly events: GroupcallEvent[] = [];
  failNext = false;

  async save(change: GroupcallChange): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store down');
    }
    this.rows.set(change.groupcall.id, structuredClone(change.groupcall));
    this.events.push(...structuredClone(change.events));
  }
  async get(id: string): Promise<Groupcall | undefined> {
    const row = this.rows.get(id);
    return row ? structuredClone(row) : undefined;
  }
  async listLive(): Promise<Groupcall[]> {
    return [...this.rows.values()].filter((g) => g.status !== 'hangup').map((g) => structuredClone(g));
  }
  typesOf(id: string): string[] {
    return this.events.filter((e) => e.groupcall.id === id).map((e) => e.type);
  }
}

const SIPS = ['a@example.net', 'b@example.net', 'c@example.net'];

function setup() {
  const h = makeHarness();
  const store = new MemoryGroupcallStore();
  const groupcalls = new GroupcallService({ calls: h.service, store, clock: h.clock });
  /** Lets every queued call and groupcall input run (each may queue work for the other). */
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      await h.service.whenIdle();
      await groupcalls.whenIdle();
    }
  };
  const request = (fields: Partial<GroupcallRequest> = {}): GroupcallRequest => ({
    customer_id: CUSTOMER,
    source: address('tel', '+15550001111'),
    destinations: SIPS.map((t) => address('sip', t)),
    flow_id: FLOW,
    ring_method: 'ring_all',
    answer_method: 'hangup_others',
    ...fields,
  });
  const stored = (id: string): Groupcall => {
    const row = store.rows.get(id);
    assert.ok(row, `groupcall ${id} is stored`);
    return row;
  };
  return { h, store, groupcalls, settle, request, stored };
}

describe('GroupcallService', () => {
  it('ring_all: every destination is dialled; the first answer wins, the others are CANCELled', async () => {
    const { h, store, groupcalls, settle, request, stored } = setup();
    const gc = await groupcalls.create(request());
    await settle();
    assert.equal(gc.status, 'progressing');
    assert.equal(gc.call_ids.length, 3);
    assert.equal(gc.call_count, 3);
    const [a, b, c] = gc.call_ids as [string, string, string];
    for (const id of gc.call_ids)
      assert.equal((await current(h, id)).groupcall_id, gc.id, 'each call names its groupcall');
    assert.deepEqual(
      h.signaling.attempts.map((x) => x.request.destination.target),
      SIPS,
      'an INVITE to each destination',
    );

    for (const id of gc.call_ids) h.signaling.last(id).ring();
    h.signaling.last(b).answer();
    await settle();
    assert.equal(stored(gc.id).answer_call_id, b);
    assert.deepEqual(h.signaling.last(a).log, ['cancel']);
    assert.deepEqual(h.signaling.last(c).log, ['cancel']);
    for (const id of [a, c]) {
      const call = await current(h, id);
      assert.equal(call.status, 'hangup');
      assert.deepEqual([call.hangup_by, call.hangup_reason], ['local', 'cancel']);
    }
    assert.equal((await current(h, b)).status, 'progressing', 'the winner runs its flow');
    assert.equal(stored(gc.id).call_count, 1);
    assert.equal(stored(gc.id).status, 'progressing');

    h.signaling.last(b).remoteBye();
    await settle();
    assert.equal(stored(gc.id).status, 'hangup');
    assert.equal(stored(gc.id).call_count, 0);
    assert.deepEqual(store.typesOf(gc.id), ['groupcall_created', 'groupcall_progressing', 'groupcall_hangup']);
  });

  it('two answers at once: the second call is ended too, and only one answer is recorded', async () => {
    const { h, store, groupcalls, settle, request, stored } = setup();
    const gc = await groupcalls.create(request({ destinations: SIPS.slice(0, 2).map((t) => address('sip', t)) }));
    await settle();
    const [a, b] = gc.call_ids as [string, string];
    h.signaling.last(a).answer();
    h.signaling.last(b).answer();
    await settle();
    assert.equal(stored(gc.id).answer_call_id, a);
    const loser = await current(h, b);
    assert.equal(loser.status, 'hangup', 'the late winner was hung up');
    assert.deepEqual(h.signaling.last(b).log, ['bye']);
    assert.equal(store.typesOf(gc.id).filter((t) => t === 'groupcall_progressing').length, 1);
  });

  it('answer_method "": the others keep ringing after the first answer', async () => {
    const { h, groupcalls, settle, request, stored } = setup();
    const gc = await groupcalls.create(request({ answer_method: '' }));
    await settle();
    const [a, b] = gc.call_ids as [string, string];
    h.signaling.last(a).answer();
    await settle();
    assert.equal(stored(gc.id).answer_call_id, a);
    assert.deepEqual(h.signaling.last(b).log, [], 'nothing was sent to the others');
    assert.equal((await current(h, b)).status, 'dialing');
  });

  it('linear: the first refuses (486), the second answers, the third is never dialled', async () => {
    const { h, store, groupcalls, settle, request, stored } = setup();
    const gc = await groupcalls.create(request({ ring_method: 'linear' }));
    await settle();
    assert.equal(gc.call_ids.length, 1);
    assert.equal(gc.dial_index, 0);
    assert.equal(h.signaling.attempts.length, 1);
    const first = gc.call_ids[0] ?? '';
    h.signaling.last(first).fail(486);
    await settle();
    const afterBusy = stored(gc.id);
    assert.equal(afterBusy.call_ids.length, 2, 'the next destination was dialled');
    assert.equal(afterBusy.dial_index, 1);
    assert.equal(afterBusy.call_count, 1);
    assert.deepEqual((await current(h, first)).hangup_reason, 'busy');
    const second = afterBusy.call_ids[1] ?? '';
    assert.equal(h.signaling.last(second).request.destination.target, SIPS[1]);
    h.signaling.last(second).answer();
    await settle();
    assert.equal(stored(gc.id).answer_call_id, second);
    assert.deepEqual(
      h.signaling.attempts.map((x) => x.request.destination.target),
      SIPS.slice(0, 2),
      'the third destination was never dialled',
    );

    const asked = await groupcalls.hangup(gc.id, CUSTOMER);
    assert.equal(asked.status, 'hangingup');
    await settle();
    assert.deepEqual(h.signaling.last(second).log, ['bye']);
    assert.equal(stored(gc.id).status, 'hangup');
    assert.deepEqual(store.typesOf(gc.id), ['groupcall_created', 'groupcall_progressing', 'groupcall_hangup']);
  });

  it('linear: when every destination fails the groupcall ends unanswered after the last', async () => {
    const { h, store, groupcalls, settle, request, stored } = setup();
    const gc = await groupcalls.create(request({ ring_method: 'linear' }));
    await settle();
    for (let i = 0; i < 3; i++) {
      const id = stored(gc.id).call_ids[i] ?? '';
      h.signaling.last(id).fail(i === 1 ? 603 : 486);
      await settle();
    }
    const over = stored(gc.id);
    assert.equal(over.status, 'hangup');
    assert.equal(over.call_ids.length, 3);
    assert.equal(over.dial_index, 2);
    assert.equal(over.answer_call_id, NIL_UUID);
    assert.deepEqual(store.typesOf(gc.id), ['groupcall_created', 'groupcall_hangup']);
  });

  it('linear: an unknown extension is skipped, at creation and later', async () => {
    const { h, groupcalls, settle, request, stored } = setup();
    h.directory.extensions.set('200', ['sip:200@192.0.2.10']);
    const dests = [address('extension', '100'), address('extension', '200'), address('extension', '300')];
    const gc = await groupcalls.create(request({ ring_method: 'linear', destinations: dests }));
    await settle();
    assert.equal(gc.dial_index, 1, 'the unknown first extension was skipped');
    h.signaling.last(gc.call_ids[0] ?? '').fail(486);
    await settle();
    assert.equal(stored(gc.id).status, 'hangup', 'the unknown third extension ends it');
    assert.equal(stored(gc.id).dial_index, 2);
    await assert.rejects(
      groupcalls.create(request({ ring_method: 'linear', destinations: [address('extension', '100')] })),
      (err: { code: string }) => err.code === 'EXTENSION_NOT_FOUND',
    );
  });

  it('a hangup of an unanswered groupcall CANCELs every call; a second hangup is 409, another customer 404', async () => {
    const { h, store, groupcalls, settle, request, stored } = setup();
    const gc = await groupcalls.create(request());
    await settle();
    for (const id of gc.call_ids) h.signaling.last(id).ring();
    await settle();
    await assert.rejects(groupcalls.hangup(gc.id, 'c0000000-0000-4000-8000-000000000002'), {
      code: 'GROUPCALL_NOT_FOUND',
    });
    await groupcalls.hangup(gc.id, CUSTOMER);
    await settle();
    for (const id of gc.call_ids) assert.deepEqual(h.signaling.last(id).log, ['cancel']);
    assert.equal(stored(gc.id).status, 'hangup');
    assert.deepEqual(store.typesOf(gc.id), ['groupcall_created', 'groupcall_hangup']);
    await assert.rejects(groupcalls.hangup(gc.id, CUSTOMER), { code: 'GROUPCALL_ALREADY_HANGUP' });
  });

  it('validates before anything is created: bound, each address with its index, the methods', async () => {
    const { h, store, groupcalls, request } = setup();
    const many = Array.from({ length: 33 }, (_, i) => address('sip', `u${i}@example.net`));
    const cases: [Partial<GroupcallRequest>, string, string][] = [
      [{ destinations: many }, 'TOO_MANY_ITEMS', 'destinations'],
      [{ destinations: [] }, 'TOO_FEW_ITEMS', 'destinations'],
      [
        { destinations: [address('sip', 'a@example.net'), address('sip', 'b@example.net'), address('tel', '12')] },
        'INVALID_E164',
        'destinations[2].target',
      ],
      [{ destinations: [address('conference', NIL_UUID)] }, 'INVALID_ADDRESS', 'destinations[0].type'],
      [{ ring_method: 'bogus' }, 'INVALID_VALUE', 'ring_method'],
      [{ ring_method: 'constructor' }, 'INVALID_VALUE', 'ring_method'],
      [{ answer_method: 'hangup_all' }, 'INVALID_VALUE', 'answer_method'],
    ];
    for (const [fields, code, field] of cases) {
      await assert.rejects(
        groupcalls.create(request(fields)),
        (err: { code: string; details: { field: string }[] }) => {
          assert.equal(err.code, code, JSON.stringify(fields).slice(0, 80));
          assert.equal(err.details[0]?.field, field);
          return true;
        },
      );
    }
    const { flow_id: _flow, ...noFlow } = request();
    await assert.rejects(groupcalls.create(noFlow), { code: 'INVALID_ARGUMENT' });
    assert.equal(h.signaling.attempts.length, 0);
    assert.equal(h.store.rows.size, 0);
    assert.equal(store.rows.size, 0);
  });

  it('ringall is taken for ring_all, and flow_id wins over actions', async () => {
    const { groupcalls, request } = setup();
    const gc = await groupcalls.create(request({ ring_method: 'ringall', actions: [{ type: 'hangup' }] }));
    assert.equal(gc.ring_method, 'ring_all');
    assert.equal(gc.flow_id, FLOW);
  });

  it('a groupcall that cannot be stored hangs up the calls it dialled', async () => {
    const { h, store, groupcalls, settle, request } = setup();
    store.failNext = true;
    await assert.rejects(groupcalls.create(request()), /store down/);
    await settle();
    assert.equal(h.signaling.attempts.length, 3);
    for (const a of h.signaling.attempts) assert.deepEqual(a.log, ['cancel']);
    assert.equal(groupcalls.getLive(h.signaling.attempts[0]?.request.call_id ?? ''), undefined);
  });

  it('reconcile ends stored groupcalls this process does not run', async () => {
    const { store, groupcalls } = setup();
    const stale = newGroupcall(
      {
        id: 'g0000000-0000-4000-8000-00000000000a',
        customer_id: CUSTOMER,
        flow_id: FLOW,
        source: address('tel', '+15550001111'),
        destinations: [address('sip', 'a@example.net')],
        ring_method: 'ring_all',
        answer_method: 'hangup_others',
      },
      0,
    );
    await store.save({ groupcall: { ...stale, call_ids: ['x'], call_count: 1 }, events: [] });
    const ended = await groupcalls.reconcile();
    assert.equal(ended.length, 1);
    assert.equal(store.rows.get(stale.id)?.status, 'hangup');
    assert.equal(store.rows.get(stale.id)?.call_count, 0);
    assert.deepEqual(store.typesOf(stale.id), ['groupcall_hangup']);
  });
});
