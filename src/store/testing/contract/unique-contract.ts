import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newId } from '../../../shared/index.ts';
import { rejectsWith } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';
import { e164, newAccesskey, newExtension, newFlow, newNumber, newUser, uniq } from './samples.ts';

/** Unique constraints among live rows, their ConflictError field, and the finders built on them. */
export function uniqueContract(ctx: ContractContext): void {
  it('numbers: a live number is unique platform-wide; soft delete frees it; findByNumber sees live rows only', async () => {
    const number = e164();
    const first = await ctx.store.numbers.create(newNumber(newId(), number));
    await rejectsWith(ctx.store.numbers.create(newNumber(newId(), number)), 'ALREADY_EXISTS', 'number');
    const other = await ctx.store.numbers.create(newNumber(first.customer_id));
    await rejectsWith(ctx.store.numbers.update(other.id, { number }), 'ALREADY_EXISTS', 'number');
    assert.deepEqual(await ctx.store.numbers.findByNumber(number), first);
    await ctx.store.numbers.delete(first.id);
    assert.equal(await ctx.store.numbers.findByNumber(number), undefined);
    const again = await ctx.store.numbers.create(newNumber(newId(), number));
    assert.deepEqual(await ctx.store.numbers.findByNumber(number), again);
  });

  it("users: username is unique among a customer's live rows; soft delete frees it; finders", async () => {
    const username = `ada-${uniq()}`;
    const customerId = newId();
    const first = await ctx.store.users.create(newUser(customerId, username));
    await rejectsWith(ctx.store.users.create(newUser(customerId, username)), 'ALREADY_EXISTS', 'username');
    const elsewhere = await ctx.store.users.create(newUser(newId(), username));
    assert.deepEqual(await ctx.store.users.findByUsername(customerId, username), first);
    const ids = (await ctx.store.users.listByUsername(username, 10)).map((u) => u.id);
    assert.deepEqual(ids.sort(), [first.id, elsewhere.id].sort());
    assert.equal((await ctx.store.users.listByUsername(username, 1)).length, 1);
    await ctx.store.users.delete(first.id);
    assert.equal(await ctx.store.users.findByUsername(customerId, username), undefined);
    const again = await ctx.store.users.create(newUser(customerId, username));
    assert.deepEqual(await ctx.store.users.findByUsername(customerId, username), again);
    assert.equal(await ctx.store.users.findByUsername(customerId, `nobody-${uniq()}`), undefined);
  });

  it('extensions: (customer_id, extension) and username are unique among live rows; finders', async () => {
    const customerId = newId();
    const first = await ctx.store.extensions.create(newExtension(customerId, '2001'));
    await rejectsWith(ctx.store.extensions.create(newExtension(customerId, '2001')), 'ALREADY_EXISTS', 'extension');
    const elsewhere = await ctx.store.extensions.create(newExtension(newId(), '2001'));
    await rejectsWith(
      ctx.store.extensions.create({ ...newExtension(newId(), '2002'), username: first.username }),
      'ALREADY_EXISTS',
      'username',
    );
    assert.deepEqual(await ctx.store.extensions.findByExtension(customerId, '2001'), first);
    assert.deepEqual(await ctx.store.extensions.findByExtension(elsewhere.customer_id, '2001'), elsewhere);
    assert.deepEqual(await ctx.store.extensions.findByUsername(first.username), first);
    await ctx.store.extensions.delete(first.id, { customerId });
    assert.equal(await ctx.store.extensions.findByExtension(customerId, '2001'), undefined);
    assert.equal(await ctx.store.extensions.findByUsername(first.username), undefined);
    const again = await ctx.store.extensions.create({ ...newExtension(customerId, '2001'), username: first.username });
    assert.deepEqual(await ctx.store.extensions.findByUsername(first.username), again);
  });

  it('accesskeys: token_hash is unique; findByTokenHash ignores deleted keys', async () => {
    const hash = `sha256-${uniq()}`;
    const key = await ctx.store.accesskeys.create(newAccesskey(newId(), hash));
    assert.equal('tm_expire' in key, false);
    await rejectsWith(ctx.store.accesskeys.create(newAccesskey(newId(), hash)), 'ALREADY_EXISTS', 'token_hash');
    assert.deepEqual(await ctx.store.accesskeys.findByTokenHash(hash), key);
    await ctx.store.accesskeys.delete(key.id);
    assert.equal(await ctx.store.accesskeys.findByTokenHash(hash), undefined);
    assert.equal((await ctx.store.accesskeys.findAnyByTokenHash(hash))?.id, key.id);
    assert.equal((await ctx.store.accesskeys.restore(key.id))?.tm_delete, undefined);
    assert.equal((await ctx.store.accesskeys.findByTokenHash(hash))?.id, key.id);
  });

  it('a duplicate id is ALREADY_EXISTS on field id', async () => {
    const flow = await ctx.store.flows.create(newFlow(newId()));
    await rejectsWith(ctx.store.flows.create({ ...newFlow(newId()), id: flow.id }), 'ALREADY_EXISTS', 'id');
  });
}
