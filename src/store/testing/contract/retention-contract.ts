import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import type { Activeflow } from '../../../flows/index.ts';
import { NIL_UUID, newId, silentLogger } from '../../../shared/index.ts';
import type { Store, StoreTx } from '../../open-store.ts';
import type { OutboxEvent } from '../../row-types.ts';
import { RetentionPurger } from '../../retention.ts';
import { isoNow } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Appends an event of `resourceId` with one delivery, in `tx`. */
async function eventWithDelivery(
  tx: StoreTx,
  customerId: string,
  resourceId: string,
): Promise<{ event: OutboxEvent; deliveryId: string }> {
  const event = await tx.outbox.append(tx, {
    customer_id: customerId,
    resource_type: 'retention',
    resource_id: resourceId,
    type: 'retention_tick',
    data: { n: 1 },
  });
  const [delivery] = await tx.deliveries.enqueue(tx, [
    {
      customer_id: customerId,
      event_id: event.event_id,
      resource_type: 'retention',
      resource_id: resourceId,
      seq: event.seq,
      event_type: event.type,
      uri: 'https://example.com/hook',
      method: 'POST',
    },
  ]);
  return { event, deliveryId: delivery!.id };
}

/** Writes `count` events with their deliveries, and as many idempotency records of `credential`. */
async function writeLog(
  store: Store,
  customerId: string,
  count: number,
  credential: string,
  now: string,
): Promise<{ resourceId: string; deliveryIds: string[] }> {
  const resourceId = newId();
  const deliveryIds: string[] = [];
  await store.transaction(async (tx) => {
    for (let i = 0; i < count; i++) deliveryIds.push((await eventWithDelivery(tx, customerId, resourceId)).deliveryId);
  });
  for (let i = 0; i < count; i++)
    await store.idempotency.put({
      credential_id: credential,
      key: `k${i}`,
      request_hash: 'h',
      status_code: 200,
      response_body: '{}',
      tm_create: now,
    });
  return { resourceId, deliveryIds };
}

async function counts(store: Store, resourceId: string, credential: string): Promise<[number, number, number]> {
  const events = await store.db
    .selectFrom('outbox_events')
    .select('event_id')
    .where('resource_id', '=', resourceId)
    .execute();
  const deliveries = await store.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('resource_id', '=', resourceId)
    .execute();
  const records = await store.db
    .selectFrom('idempotency_records')
    .select('key')
    .where('credential_id', '=', credential)
    .execute();
  return [events.length, deliveries.length, records.length];
}

function sampleActiveflow(ctx: ContractContext, status: Activeflow['status']): Activeflow {
  const now = isoNow(ctx.clock);
  return {
    id: newId(),
    customer_id: newId(),
    flow_id: newId(),
    status,
    reference_type: 'api',
    reference_id: NIL_UUID,
    current_action: { id: NIL_UUID, next_id: NIL_UUID, type: '', option: {} },
    executed_actions: [],
    variables: {},
    tm_create: now,
    tm_update: now,
  };
}

/** Writes a groupcall row (`deleted`: soft-deleted now) and a transfer row, straight into their tables. */
async function groupcallAndTransfer(
  store: Store,
  now: string,
  o: { groupcall: string; deleted: boolean; transfer: string; transferStatus: string },
): Promise<void> {
  const tmDelete = o.deleted ? now : null;
  await sql`insert into groupcalls (id, customer_id, status, node_id, tm_create, tm_update, tm_delete, data)
    values (${o.groupcall}, ${NIL_UUID}, 'hangup', '', ${now}, ${now}, ${tmDelete}, '{}')`.execute(store.db);
  await sql`insert into transfers (id, customer_id, node_id, status, data, tm_create, tm_update)
    values (${o.transfer}, ${NIL_UUID}, '', ${o.transferStatus}, '{}', ${now}, ${now})`.execute(store.db);
}

async function storedRow(store: Store, table: 'groupcalls' | 'transfers', id: string): Promise<boolean> {
  const { rows } = await sql`select id from ${sql.table(table)} where id = ${id}`.execute(store.db);
  return rows.length === 1;
}

async function storedActiveflow(store: Store, id: string): Promise<boolean> {
  return (await store.db.selectFrom('activeflows').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** Runs last: it moves the shared clock 31 days on, and purges what the other contract files left behind. */
export function retentionContract(ctx: ContractContext): void {
  it('retention: the purger deletes rows older than retentionDays in batches while transactions commit; newer rows, and a pending delivery of a newer event, stay', async () => {
    const store = ctx.store;
    const customerId = newId();
    const old = await writeLog(store, customerId, 23, `old-${customerId}`, isoNow(ctx.clock));
    // An old delivery finished long ago and one still pending: both go with their (old) event.
    await store.db
      .updateTable('webhook_deliveries')
      .set({ status: 'delivered' })
      .where('id', '=', old.deliveryIds[0]!)
      .execute();
    const endedDeleted = sampleActiveflow(ctx, 'ended');
    const runningDeleted = sampleActiveflow(ctx, 'running');
    const endedLive = sampleActiveflow(ctx, 'ended');
    await store.transaction(async (tx) => {
      for (const af of [endedDeleted, runningDeleted, endedLive]) await store.activeflows.upsert(tx, af);
      await store.activeflows.markDeleted(tx, endedDeleted.id);
      await store.activeflows.markDeleted(tx, runningDeleted.id);
    });
    const oldRows = { groupcall: newId(), deleted: true, transfer: newId(), transferStatus: 'completed' };
    const oldLive = { groupcall: newId(), deleted: false, transfer: newId(), transferStatus: 'ringing' };
    await groupcallAndTransfer(store, isoNow(ctx.clock), oldRows);
    await groupcallAndTransfer(store, isoNow(ctx.clock), oldLive);
    // A delivery created in the old days but (re)pointed at an event inside the window is kept while pending.
    const [oldPending] = await store.transaction((tx) =>
      tx.deliveries.enqueue(tx, [
        {
          customer_id: customerId,
          event_id: newId(),
          resource_type: 'retention',
          resource_id: newId(),
          seq: 1,
          event_type: 'retention_tick',
          uri: 'https://example.com/hook',
          method: 'POST',
        },
      ]),
    );

    ctx.clock.advance(20 * DAY_MS);
    const recent = await writeLog(store, customerId, 5, `recent-${customerId}`, isoNow(ctx.clock));
    const [recentEvent] = await store.db
      .selectFrom('outbox_events')
      .select('event_id')
      .where('resource_id', '=', recent.resourceId)
      .execute();
    await store.db
      .updateTable('webhook_deliveries')
      .set({ event_id: recentEvent!.event_id })
      .where('id', '=', oldPending!.id)
      .execute();
    ctx.clock.advance(11 * DAY_MS);

    const purger = new RetentionPurger({
      store,
      clock: ctx.clock,
      logger: silentLogger,
      retentionDays: 30,
      batchSize: 4,
      intervalMs: 60 * 60 * 1000,
    });
    purger.start();
    // Calls and flows keep writing while the round deletes its batches.
    const during = await Promise.all(
      Array.from({ length: 10 }, () => store.transaction((tx) => eventWithDelivery(tx, customerId, newId()))),
    );
    await purger.idle;

    assert.deepEqual(await counts(store, old.resourceId, `old-${customerId}`), [0, 0, 0]);
    assert.deepEqual(await counts(store, recent.resourceId, `recent-${customerId}`), [5, 5, 5]);
    for (const { event, deliveryId } of during) {
      assert.ok(await store.outbox.get(event.event_id), 'an event written during the purge is kept');
      assert.ok(await store.deliveries.get(deliveryId), 'a delivery written during the purge is kept');
    }
    assert.equal(
      (await store.deliveries.get(oldPending!.id))?.status,
      'pending',
      'a pending delivery whose event is inside the window stays',
    );
    assert.equal(
      await storedActiveflow(store, endedDeleted.id),
      false,
      'an ended activeflow deleted before the cut-off is purged',
    );
    assert.equal(await storedActiveflow(store, runningDeleted.id), true, 'a deleted activeflow still running is kept');
    assert.equal(await storedActiveflow(store, endedLive.id), true, 'a live activeflow is kept');
    assert.equal(await storedRow(store, 'groupcalls', oldRows.groupcall), false, 'an old deleted groupcall is purged');
    assert.equal(await storedRow(store, 'groupcalls', oldLive.groupcall), true, 'a groupcall not deleted is kept');
    assert.equal(await storedRow(store, 'transfers', oldRows.transfer), false, 'an old ended transfer is purged');
    assert.equal(await storedRow(store, 'transfers', oldLive.transfer), true, 'a transfer not ended is kept');

    // The next round runs an hour later on the clock; after stop() none does.
    await store.idempotency.put({
      credential_id: `later-${customerId}`,
      key: 'a',
      request_hash: 'h',
      status_code: 200,
      response_body: '{}',
      tm_create: new Date(ctx.clock.now() - 31 * DAY_MS).toISOString(),
    });
    ctx.clock.advance(60 * 60 * 1000);
    await purger.idle;
    assert.equal(await store.idempotency.get(`later-${customerId}`, 'a'), undefined);
    await purger.stop();
    await store.idempotency.put({
      credential_id: `later-${customerId}`,
      key: 'b',
      request_hash: 'h',
      status_code: 200,
      response_body: '{}',
      tm_create: new Date(ctx.clock.now() - 31 * DAY_MS).toISOString(),
    });
    ctx.clock.advance(2 * 60 * 60 * 1000);
    await purger.idle;
    assert.ok(await store.idempotency.get(`later-${customerId}`, 'b'), 'a stopped purger deletes nothing');
  });
}
