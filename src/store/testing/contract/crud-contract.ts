import assert from 'node:assert/strict';
import { it } from 'node:test';
import { newId } from '../../../shared/index.ts';
import type { Store } from '../../open-store.ts';
import type {
  Accesskey,
  Customer,
  Extension,
  Flow,
  NewRow,
  Patch,
  PhoneNumber,
  Provider,
  Repo,
  Route,
  User,
} from '../../types.ts';
import { isoNow } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';
import {
  newAccesskey,
  newCustomer,
  newExtension,
  newFlow,
  newNumber,
  newProvider,
  newRoute,
  newUser,
} from './samples.ts';

interface Row {
  id: string;
  tm_create: string;
  tm_update: string;
  tm_delete?: string;
  customer_id?: string;
}

/** One repository exercised by the generic CRUD contract. */
interface CrudCase<T extends Row> {
  name: string;
  repo(store: Store): Repo<T>;
  sample(customerId: string): NewRow<T>;
  patch: Patch<T>;
}

// The customers table scopes by its own id; every other table by customer_id.
function ownerOf(row: Row): string {
  return row.customer_id ?? row.id;
}

/** A unique 24-hex-digit direct hash. */
function directHash(): string {
  return newId().replaceAll('-', '').slice(8);
}

function crudCase<T extends Row>(ctx: ContractContext, c: CrudCase<T>): void {
  const repo = (): Repo<T> => c.repo(ctx.store);

  it(`${c.name}: create fills id and timestamps; get returns the row with JSON decoded`, async () => {
    const sample = c.sample(newId());
    const created = await repo().create(sample);
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.tm_create, isoNow(ctx.clock));
    assert.equal(created.tm_update, created.tm_create);
    assert.equal('tm_delete' in created, false);
    assert.deepEqual(
      { ...created, id: undefined, tm_create: undefined, tm_update: undefined },
      { ...sample, id: undefined, tm_create: undefined, tm_update: undefined },
    );
    assert.deepEqual(await repo().get(created.id), created);
    assert.deepEqual(await repo().get(created.id, { customerId: ownerOf(created) }), created);
    const explicit = newId();
    assert.equal((await repo().create({ ...c.sample(newId()), id: explicit })).id, explicit);
  });

  it(`${c.name}: update changes the given fields and stamps tm_update`, async () => {
    const created = await repo().create(c.sample(newId()));
    ctx.clock.advance(1500);
    const updated = await repo().update(created.id, c.patch, { customerId: ownerOf(created) });
    assert.ok(updated);
    assert.deepEqual(updated, { ...created, ...c.patch, tm_update: isoNow(ctx.clock) });
    assert.deepEqual(await repo().get(created.id), updated);
    assert.equal(await repo().update(newId(), c.patch), undefined);
  });

  visibilityCase(ctx, c);
}

function visibilityCase<T extends Row>(ctx: ContractContext, c: CrudCase<T>): void {
  const repo = (): Repo<T> => c.repo(ctx.store);

  it(`${c.name}: another customer's scope sees, changes and deletes nothing`, async () => {
    const created = await repo().create(c.sample(newId()));
    const stranger = { customerId: newId() };
    assert.equal(await repo().get(created.id, stranger), undefined);
    assert.equal(await repo().update(created.id, c.patch, stranger), undefined);
    assert.equal(await repo().delete(created.id, stranger), undefined);
    assert.deepEqual(await repo().get(created.id), created);
    const strangerPage = await repo().list({ ...stranger, pageSize: 100 });
    assert.equal(
      strangerPage.items.some((r) => r.id === created.id),
      false,
    );
    const ownPage = await repo().list({ customerId: ownerOf(created), pageSize: 100 });
    assert.ok(ownPage.items.some((r) => r.id === created.id));
  });

  it(`${c.name}: soft delete returns the row with tm_delete and hides it from get, list, update`, async () => {
    const created = await repo().create(c.sample(newId()));
    ctx.clock.advance(10);
    const deleted = await repo().delete(created.id, { customerId: ownerOf(created) });
    assert.deepEqual(deleted, { ...created, tm_delete: isoNow(ctx.clock) });
    assert.equal(await repo().get(created.id), undefined);
    assert.equal(await repo().update(created.id, c.patch), undefined);
    assert.equal(await repo().delete(created.id), undefined);
    const page = await repo().list({ customerId: ownerOf(created), pageSize: 100 });
    assert.equal(
      page.items.some((r) => r.id === created.id),
      false,
    );
  });
}

/** CRUD, scoping and soft delete of every resource repository. */
export function crudContract(ctx: ContractContext): void {
  crudCase<Customer>(ctx, {
    name: 'customers',
    repo: (s) => s.customers,
    sample: () => newCustomer(),
    patch: { name: 'renamed', webhook_event_types: [], metadata: { rtp_debug: false }, address: '' },
  });
  crudCase<Accesskey>(ctx, {
    name: 'accesskeys',
    repo: (s) => s.accesskeys,
    sample: (c) => ({ ...newAccesskey(c), tm_expire: '2027-01-01T00:00:00.000Z' }),
    patch: { name: 'ci key', detail: 'rotated' },
  });
  crudCase<User>(ctx, {
    name: 'users',
    repo: (s) => s.users,
    sample: (c) => newUser(c),
    patch: { name: 'Ada', role: 'admin' },
  });
  crudCase<Flow>(ctx, {
    name: 'flows',
    repo: (s) => s.flows,
    // A direct hash as the API stores one (docs/api.md "Direct addresses"): a column beside the row.
    sample: (c) => ({ ...newFlow(c), direct_hash: directHash() }),
    patch: { actions: [{ type: 'hangup' }], on_complete_flow_id: newId() },
  });
  crudCase<PhoneNumber>(ctx, {
    name: 'numbers',
    repo: (s) => s.numbers,
    sample: (c) => newNumber(c),
    patch: { status: 'deleted', call_flow_id: newId(), message_flow_id: newId(), metadata: { rtp_debug: true } },
  });
  crudCase<Extension>(ctx, {
    name: 'extensions',
    repo: (s) => s.extensions,
    sample: (c) => ({ ...newExtension(c), direct_hash: directHash() }),
    patch: { password: 'new-pw', name: 'lobby' },
  });
  crudCase<Provider>(ctx, {
    name: 'providers',
    repo: (s) => s.providers,
    sample: () => newProvider(),
    patch: { port: 5080, tech_headers: {}, codecs: ['PCMA'] },
  });
  crudCase<Route>(ctx, {
    name: 'routes',
    repo: (s) => s.routes,
    sample: (c) => newRoute(c, 3, '+49'),
    patch: { priority: 1, target: 'all' },
  });
}
