import { migrationProvider } from '../../migrations/index.ts';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { sql } from 'kysely';
import { AppError, NIL_UUID, newId } from '../../../shared/index.ts';
import type { NewRegistration } from '../../types.ts';
import { isoNow } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';
import { newCustomer, newRoute, uniq } from './samples.ts';

function binding(extensionId: string, contact: string, tmExpire: string): NewRegistration {
  return {
    customer_id: NIL_UUID,
    extension_id: extensionId,
    contact,
    transport: 'udp',
    source: '127.0.0.1:5080',
    call_id: `call-${uniq()}`,
    cseq: 1,
    user_agent: 'baresip',
    tm_expire: tmExpire,
  };
}

/** Migrations, idempotency records, SIP bindings, route candidates and ping. */
export function sessionContract(ctx: ContractContext): void {
  it('migrations: reopening runs nothing twice and keeps the data', async () => {
    const customer = await ctx.store.customers.create(newCustomer());
    const store = await ctx.reopen();
    assert.deepEqual(await store.customers.get(customer.id), customer);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
    const expected = Object.keys(await migrationProvider.getMigrations()).sort();
    assert.ok(expected.includes('0001_foundation'));
    assert.deepEqual(
      applied.rows.map((r) => r.name),
      expected,
      'every migration applied exactly once',
    );
    if (ctx.dialect === 'sqlite') {
      const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      assert.equal(mode.rows[0]?.journal_mode, 'wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
      assert.equal(fk.rows[0]?.foreign_keys, 1);
    }
  });

  it('idempotency: put stores once, get returns it, a repeated key is refused, purgeBefore drops old records', async () => {
    const credentialId = newId();
    const record = {
      credential_id: credentialId,
      key: 'k-1',
      request_hash: 'h1',
      status_code: 201,
      response_body: '{"id":"x"}',
      tm_create: isoNow(ctx.clock),
    };
    assert.equal(await ctx.store.idempotency.put(record), true);
    assert.deepEqual(await ctx.store.idempotency.get(credentialId, 'k-1'), record);
    assert.equal(await ctx.store.idempotency.put({ ...record, request_hash: 'h2', status_code: 500 }), false);
    assert.deepEqual(await ctx.store.idempotency.get(credentialId, 'k-1'), record);
    const otherCredential = { ...record, credential_id: newId() };
    assert.equal(await ctx.store.idempotency.put(otherCredential), true);
    assert.equal(await ctx.store.idempotency.get(credentialId, 'k-2'), undefined);

    ctx.clock.advance(24 * 3600_000);
    const fresh = { ...record, key: 'k-fresh', tm_create: isoNow(ctx.clock) };
    await ctx.store.idempotency.put(fresh);
    assert.ok((await ctx.store.idempotency.purgeBefore(isoNow(ctx.clock))) >= 2);
    assert.equal(await ctx.store.idempotency.get(credentialId, 'k-1'), undefined);
    assert.deepEqual(await ctx.store.idempotency.get(credentialId, 'k-fresh'), fresh);
  });

  it('idempotency: a reserved key is completed with its response, and release frees it', async () => {
    const credentialId = newId();
    const reserved = {
      credential_id: credentialId,
      key: 'k-r',
      request_hash: 'h',
      status_code: 0,
      response_body: '',
      tm_create: isoNow(ctx.clock),
    };
    assert.equal(await ctx.store.idempotency.put(reserved), true);
    await ctx.store.idempotency.complete(credentialId, 'k-r', 200, '{"ok":true}');
    assert.deepEqual(await ctx.store.idempotency.get(credentialId, 'k-r'), {
      ...reserved,
      status_code: 200,
      response_body: '{"ok":true}',
    });
    await ctx.store.idempotency.release(credentialId, 'k-r');
    assert.equal(await ctx.store.idempotency.get(credentialId, 'k-r'), undefined);
    assert.equal(await ctx.store.idempotency.put(reserved), true);
  });

  it('registrations: upsert replaces by (extension_id, contact); list hides expired; remove; purgeExpired', async () => {
    const regs = ctx.store.registrations;
    const extensionId = newId();
    const t0 = isoNow(ctx.clock);
    const expireAt = new Date(ctx.clock.now() + 60_000).toISOString();
    const a = await regs.upsert(binding(extensionId, 'sip:a@127.0.0.1:5080', expireAt));
    assert.equal(a.tm_create, t0);
    ctx.clock.advance(1000);
    const refreshed = await regs.upsert({ ...binding(extensionId, 'sip:a@127.0.0.1:5080', expireAt), cseq: 2 });
    assert.deepEqual(refreshed, { ...a, cseq: 2, call_id: refreshed.call_id, tm_update: isoNow(ctx.clock) });
    const b = await regs.upsert(
      binding(extensionId, 'sip:b@127.0.0.1:5090', new Date(ctx.clock.now() + 5_000).toISOString()),
    );
    await regs.upsert(binding(newId(), 'sip:a@127.0.0.1:5080', expireAt));

    assert.deepEqual(await regs.listForExtension(extensionId, isoNow(ctx.clock)), [b, refreshed]);
    ctx.clock.advance(10_000);
    assert.deepEqual(await regs.listForExtension(extensionId, isoNow(ctx.clock)), [refreshed]);
    assert.ok((await regs.purgeExpired(isoNow(ctx.clock))) >= 1);
    assert.equal(await regs.remove(extensionId, b.contact), false);
    assert.equal(await regs.remove(extensionId, a.contact), true);
    assert.equal(await regs.remove(extensionId, a.contact), false);
    assert.deepEqual(await regs.listForExtension(extensionId, isoNow(ctx.clock)), []);
  });

  it('routes.listForCustomer: own and platform (nil UUID) routes by priority; other customers and deleted excluded', async () => {
    const customerId = newId();
    const own2 = await ctx.store.routes.create(newRoute(customerId, 2, '+49'));
    const platform1 = await ctx.store.routes.create(newRoute(NIL_UUID, 1, 'all'));
    const platform3 = await ctx.store.routes.create(newRoute(NIL_UUID, 3, '+1'));
    await ctx.store.routes.create(newRoute(newId(), 0, 'all'));
    const gone = await ctx.store.routes.create(newRoute(customerId, 0, 'all'));
    await ctx.store.routes.delete(gone.id);
    const ids = (await ctx.store.routes.listForCustomer(customerId)).map((r) => r.id);
    const mine = [platform1.id, own2.id, platform3.id];
    assert.deepEqual(
      ids.filter((id) => mine.includes(id)),
      mine,
    );
    const all = await ctx.store.routes.listForCustomer(customerId);
    assert.ok(all.every((r) => r.customer_id === customerId || r.customer_id === NIL_UUID));
    assert.ok(all.every((r, i) => i === 0 || all[i - 1]!.priority <= r.priority));
    assert.equal(ids.includes(gone.id), false);
  });

  it('ping: resolves while open, STORE_UNAVAILABLE after close', async () => {
    await ctx.store.ping();
    const other = await ctx.openAnother();
    await other.ping();
    await other.close();
    await other.close();
    await assert.rejects(other.ping(), (err: unknown) => err instanceof AppError && err.code === 'STORE_UNAVAILABLE');
  });
}
