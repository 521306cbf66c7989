import type { Kysely } from 'kysely';
import { NIL_UUID } from '../shared/index.ts';
import type { Clock } from '../shared/index.ts';
import type { Database } from './database.ts';
import { CustomerTable } from './customer-repo.ts';
import { TableRepo } from './table-repo.ts';
import type { RawQuery, TableSpec } from './table-repo.ts';
import type {
  Accesskey,
  AccesskeyRepo,
  Customer,
  Extension,
  ExtensionRepo,
  Flow,
  NumberRepo,
  PhoneNumber,
  Provider,
  Repo,
  Route,
  RouteRepo,
  User,
  UserRepo,
} from './types.ts';

// Index names must match migrations/0001-foundation.ts; the contract suite proves each mapping.
const customers: TableSpec<Customer> = {
  table: 'customers',
  scopeColumn: 'id',
  jsonColumns: ['webhook_event_types', 'metadata'],
  filterColumns: ['name', 'email'],
  uniques: [],
};
const accesskeys: TableSpec<Accesskey> = {
  table: 'accesskeys',
  scopeColumn: 'customer_id',
  jsonColumns: [],
  filterColumns: ['customer_id', 'name', 'role', 'token_prefix'],
  uniques: [{ index: 'accesskeys_token_hash_key', columns: ['token_hash'], field: 'token_hash' }],
};
const users: TableSpec<User> = {
  table: 'users',
  scopeColumn: 'customer_id',
  jsonColumns: [],
  filterColumns: ['customer_id', 'username', 'name', 'role'],
  // Per customer since migrations/0008-principals.ts: another tenant's usernames are not revealed.
  uniques: [{ index: 'users_customer_username_live_key', columns: ['customer_id', 'username'], field: 'username' }],
};
const flows: TableSpec<Flow> = {
  table: 'flows',
  scopeColumn: 'customer_id',
  jsonColumns: ['actions'],
  filterColumns: ['customer_id', 'name'],
  uniques: [],
};
const numbers: TableSpec<PhoneNumber> = {
  table: 'numbers',
  scopeColumn: 'customer_id',
  jsonColumns: ['metadata'],
  filterColumns: ['customer_id', 'number', 'call_flow_id', 'name', 'status'],
  uniques: [{ index: 'numbers_number_live_key', columns: ['number'], field: 'number' }],
};
const extensions: TableSpec<Extension> = {
  table: 'extensions',
  scopeColumn: 'customer_id',
  jsonColumns: ['digest_ha1'],
  filterColumns: ['customer_id', 'extension', 'username', 'name'],
  uniques: [
    { index: 'extensions_customer_extension_live_key', columns: ['customer_id', 'extension'], field: 'extension' },
    { index: 'extensions_username_live_key', columns: ['username'], field: 'username' },
  ],
};
const providers: TableSpec<Provider> = {
  table: 'providers',
  scopeColumn: 'customer_id',
  jsonColumns: ['tech_headers', 'codecs'],
  filterColumns: ['customer_id', 'type', 'hostname', 'transport', 'name'],
  uniques: [],
};
const routes: TableSpec<Route> = {
  table: 'routes',
  scopeColumn: 'customer_id',
  jsonColumns: [],
  filterColumns: ['customer_id', 'provider_id', 'target', 'name'],
  uniques: [],
};

/** The acting customer of the oldest project-scope (nil customer) row of `table`, deleted rows included. */
async function projectActingCustomer(db: Kysely<Database>, table: 'accesskeys' | 'users'): Promise<string | undefined> {
  const row = await (db as unknown as Kysely<any>)
    .selectFrom(table)
    .select('acting_customer_id')
    .where('customer_id', '=', NIL_UUID)
    .where('acting_customer_id', 'is not', null)
    .orderBy('tm_create', 'asc')
    .limit(1)
    .executeTakeFirst();
  return (row?.acting_customer_id as string | undefined) ?? undefined;
}

class AccesskeyTable extends TableRepo<Accesskey> implements AccesskeyRepo {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;

  constructor(db: Kysely<Database>, clock: Clock, spec: TableSpec<Accesskey>, raw?: RawQuery) {
    super(db, clock, spec, raw);
    this.#db = db;
    this.#clock = clock;
  }

  findByTokenHash(hash: string): Promise<Accesskey | undefined> {
    return this.findLive({ token_hash: hash });
  }

  async findAnyByTokenHash(hash: string): Promise<Accesskey | undefined> {
    const row = await this.#db.selectFrom('accesskeys').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    return row === undefined ? undefined : this.decode(row);
  }

  async restore(id: string): Promise<Accesskey | undefined> {
    const row = await this.#db
      .updateTable('accesskeys')
      .set({ tm_delete: null, tm_update: new Date(this.#clock.now()).toISOString() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : this.decode(row);
  }

  projectActingCustomer(): Promise<string | undefined> {
    return projectActingCustomer(this.#db, 'accesskeys');
  }
}

class UserTable extends TableRepo<User> implements UserRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>, clock: Clock, spec: TableSpec<User>, raw?: RawQuery) {
    super(db, clock, spec, raw);
    this.#db = db;
  }

  findByUsername(customerId: string, username: string): Promise<User | undefined> {
    return this.findLive({ customer_id: customerId, username });
  }

  async listByUsername(username: string, limit: number): Promise<User[]> {
    const rows = await this.liveRows({})
      .where('username', '=', username)
      .orderBy('tm_create', 'asc')
      .orderBy('id', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => this.decode(r));
  }

  projectActingCustomer(): Promise<string | undefined> {
    return projectActingCustomer(this.#db, 'users');
  }
}

class NumberTable extends TableRepo<PhoneNumber> implements NumberRepo {
  findByNumber(number: string): Promise<PhoneNumber | undefined> {
    return this.findLive({ number });
  }
}

class ExtensionTable extends TableRepo<Extension> implements ExtensionRepo {
  findByUsername(username: string): Promise<Extension | undefined> {
    return this.findLive({ username });
  }

  findByExtension(customerId: string, extension: string): Promise<Extension | undefined> {
    return this.findLive({ customer_id: customerId, extension });
  }
}

class RouteTable extends TableRepo<Route> implements RouteRepo {
  async listForCustomer(customerId: string): Promise<Route[]> {
    const rows = await this.liveRows({})
      .where('customer_id', 'in', [customerId, NIL_UUID])
      .orderBy('priority', 'asc')
      .orderBy('tm_create', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => this.decode(r));
  }
}

/** The resource repositories of a store. */
export interface ResourceRepos {
  customers: Repo<Customer>;
  accesskeys: AccesskeyRepo;
  users: UserRepo;
  flows: Repo<Flow>;
  numbers: NumberRepo;
  extensions: ExtensionRepo;
  providers: Repo<Provider>;
  routes: RouteRepo;
}

/** Build every resource repository over one database. */
export function createResourceRepos(db: Kysely<Database>, clock: Clock, raw?: RawQuery): ResourceRepos {
  const owned = {
    accesskeys: new AccesskeyTable(db, clock, accesskeys, raw),
    users: new UserTable(db, clock, users, raw),
    flows: new TableRepo(db, clock, flows, raw),
    numbers: new NumberTable(db, clock, numbers, raw),
    extensions: new ExtensionTable(db, clock, extensions, raw),
    providers: new TableRepo(db, clock, providers, raw),
    routes: new RouteTable(db, clock, routes, raw),
  };
  // Deleting a customer soft-deletes what it owns (customer-repo.ts); their row caches go with it.
  const forgetOwned = () => Object.values(owned).forEach((repo) => repo.forgetCachedRows());
  return { customers: new CustomerTable(db, clock, customers, raw, forgetOwned), ...owned };
}
