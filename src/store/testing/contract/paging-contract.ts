import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newId } from '../../../shared/index.ts';
import type { Flow } from '../../types.ts';
import { rejectsWith } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';
import { newFlow, newNumber } from './samples.ts';

const ORIGINAL_ROWS = 250;
const PAGE_SIZE = 100;
const INSERTED_PER_PAGE = 7;

/** Newest first: (tm_create desc, id desc), compared as the store compares them. */
function isAfter(a: Flow, b: Flow): boolean {
  return a.tm_create < b.tm_create || (a.tm_create === b.tm_create && a.id < b.id);
}

async function pageThroughWhileInserting(ctx: ContractContext, stepMs: number): Promise<void> {
  const customerId = newId();
  const original = new Set<string>();
  for (let i = 0; i < ORIGINAL_ROWS; i++) {
    original.add((await ctx.store.flows.create(newFlow(customerId, `f${i}`))).id);
    ctx.clock.advance(stepMs);
  }
  const seen: Flow[] = [];
  let pageToken = '';
  let pages = 0;
  do {
    const page = await ctx.store.flows.list({ customerId, pageSize: PAGE_SIZE, pageToken });
    assert.ok(page.items.length <= PAGE_SIZE);
    seen.push(...page.items);
    pageToken = page.nextPageToken;
    pages++;
    for (let i = 0; i < INSERTED_PER_PAGE; i++) await ctx.store.flows.create(newFlow(customerId, 'late'));
  } while (pageToken !== '' && pages < 10);

  assert.equal(pageToken, '', 'the last page has an empty nextPageToken');
  const ids = seen.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no row is returned twice');
  for (const id of original)
    assert.equal(ids.filter((x) => x === id).length, 1, `original row ${id} seen exactly once`);
  for (let i = 1; i < seen.length; i++)
    assert.ok(isAfter(seen[i]!, seen[i - 1]!), `row ${i} is older than row ${i - 1}`);
}

/** Keyset pagination, filters and their validation errors. */
export function pagingContract(ctx: ContractContext): void {
  it('pagination: 250 rows by pages of 100 while rows are inserted between pages — every original row exactly once', async () => {
    await pageThroughWhileInserting(ctx, 1);
  });

  it('pagination: rows created in the same millisecond page by id without gaps or duplicates', async () => {
    await pageThroughWhileInserting(ctx, 0);
  });

  it('pagination: a page exactly filled by the last rows ends with an empty token', async () => {
    const customerId = newId();
    for (let i = 0; i < 4; i++) await ctx.store.flows.create(newFlow(customerId));
    const first = await ctx.store.flows.list({ customerId, pageSize: 2 });
    assert.equal(first.items.length, 2);
    assert.notEqual(first.nextPageToken, '');
    const second = await ctx.store.flows.list({ customerId, pageSize: 2, pageToken: first.nextPageToken });
    assert.equal(second.items.length, 2);
    assert.equal(second.nextPageToken, '');
    const empty = await ctx.store.flows.list({ customerId: newId(), pageSize: 10 });
    assert.deepEqual(empty, { items: [], nextPageToken: '' });
  });

  it('pagination: a malformed page token is INVALID_PAGE_TOKEN on page_token', async () => {
    const bad = [
      'not a token!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["yesterday","x"]').toString('base64url'),
      Buffer.from('["2026-01-01T00:00:00.000Z",7]').toString('base64url'),
      'AAAA',
    ];
    for (const pageToken of bad) {
      await rejectsWith(ctx.store.flows.list({ pageSize: 10, pageToken }), 'INVALID_PAGE_TOKEN', 'page_token');
    }
  });

  it('filter: equality on listed columns; an unknown key is a ValidationError', async () => {
    const customerId = newId();
    const active = await ctx.store.numbers.create(newNumber(customerId));
    await ctx.store.numbers.create({ ...newNumber(customerId), status: 'disabled' });
    const page = await ctx.store.numbers.list({ customerId, pageSize: 10, filter: { status: 'active' } });
    assert.deepEqual(page.items, [active]);
    await rejectsWith(
      ctx.store.numbers.list({ customerId, pageSize: 10, filter: { password: 'x' } }),
      'INVALID_FILTER',
      'password',
    );
    await rejectsWith(ctx.store.numbers.list({ customerId, pageSize: 0 }), 'INVALID_PAGE_SIZE', 'page_size');
  });
}
