import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ContractContext } from './contract-context.ts';
import { newAccesskey, newCustomer, newExtension, newFlow, newNumber, newRoute, newUser } from './samples.ts';

/** Deleting a customer takes everything it owns with it, in one transaction (docs/security.md). */
export function customersContract(ctx: ContractContext): void {
  it('customers: delete soft-deletes its numbers, extensions, keys, users, flows and routes and drops its SIP bindings; others stay', async () => {
    const s = ctx.store;
    const gone = await s.customers.create(newCustomer());
    const kept = await s.customers.create(newCustomer());
    const owned = async (customerId: string) => {
      const ext = await s.extensions.create(newExtension(customerId));
      await s.registrations.upsert({
        customer_id: customerId,
        extension_id: ext.id,
        contact: `sip:${ext.username}@192.0.2.1:5060`,
        transport: 'UDP',
        source: 'udp:192.0.2.1:5060',
        call_id: `reg-${ext.id}`,
        cseq: 1,
        user_agent: 'phone',
        tm_expire: '2999-01-01T00:00:00.000Z',
      });
      return {
        ext,
        number: await s.numbers.create(newNumber(customerId)),
        key: await s.accesskeys.create(newAccesskey(customerId)),
        user: await s.users.create(newUser(customerId)),
        flow: await s.flows.create(newFlow(customerId)),
        route: await s.routes.create(newRoute(customerId, 1)),
      };
    };
    const a = await owned(gone.id);
    const b = await owned(kept.id);
    // Read once so the embedded store's row caches hold them: the cascade must not leave them visible.
    assert.ok(await s.extensions.get(a.ext.id));
    assert.ok(await s.flows.get(a.flow.id));

    assert.ok((await s.customers.delete(gone.id))?.tm_delete);
    assert.equal(await s.customers.get(gone.id), undefined);
    assert.equal(await s.numbers.findByNumber(a.number.number), undefined);
    assert.equal(await s.extensions.findByUsername(a.ext.username), undefined);
    assert.equal(await s.extensions.get(a.ext.id), undefined);
    assert.equal(await s.accesskeys.findByTokenHash(a.key.token_hash), undefined);
    assert.equal(await s.users.get(a.user.id), undefined);
    assert.equal(await s.flows.get(a.flow.id), undefined);
    assert.equal(await s.routes.get(a.route.id), undefined);
    assert.deepEqual(await s.registrations.listForExtension(a.ext.id, new Date(0).toISOString()), []);
    // The number is free for another customer at once.
    assert.equal((await s.numbers.create(newNumber(kept.id, a.number.number))).number, a.number.number);

    assert.ok(await s.customers.get(kept.id));
    assert.deepEqual(await s.numbers.findByNumber(b.number.number), b.number);
    assert.ok(await s.extensions.findByUsername(b.ext.username));
    assert.ok(await s.accesskeys.findByTokenHash(b.key.token_hash));
    assert.equal((await s.registrations.listForExtension(b.ext.id, new Date(0).toISOString())).length, 1);
    assert.equal(await s.customers.delete(gone.id), undefined, 'a deleted customer is not deleted twice');
  });
}
