import { sql } from 'kysely';
import type { CreateTableBuilder, Kysely } from 'kysely';

// Migrations are frozen history: they use an untyped Kysely so later changes to the row types cannot
// change what an old migration did.
type Db = Kysely<any>;

const live = sql<boolean>`tm_delete is null`;

/** Add the columns every soft-deletable resource table shares, around `body`'s own columns. */
function resourceTable(
  db: Db,
  table: string,
  body: (t: CreateTableBuilder<string, string>) => CreateTableBuilder<string, string>,
) {
  const withId = db.schema.createTable(table).addColumn('id', 'text', (c) => c.primaryKey());
  return body(withId)
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addColumn('tm_delete', 'text');
}

/** Index serving `order by tm_create desc, id desc` within one customer. */
async function listIndex(db: Db, table: string, scopeColumn: string): Promise<void> {
  await db.schema.createIndex(`${table}_list_idx`).on(table).columns([scopeColumn, 'tm_create', 'id']).execute();
}

async function createTenancyTables(db: Db): Promise<void> {
  await resourceTable(db, 'customers', (t) =>
    t
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('webhook_method', 'text', (c) => c.notNull())
      .addColumn('webhook_uri', 'text', (c) => c.notNull())
      .addColumn('webhook_secret', 'text', (c) => c.notNull())
      .addColumn('webhook_event_types', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('customers_list_idx').on('customers').columns(['tm_create', 'id']).execute();

  await resourceTable(db, 'accesskeys', (t) =>
    t
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('token_prefix', 'text', (c) => c.notNull())
      .addColumn('tm_expire', 'text'),
  ).execute();
  await db.schema.createIndex('accesskeys_token_hash_key').on('accesskeys').column('token_hash').unique().execute();
  await listIndex(db, 'accesskeys', 'customer_id');

  await resourceTable(db, 'users', (t) =>
    t
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('users_username_live_key').on('users').column('username').unique().where(live).execute();
  await listIndex(db, 'users', 'customer_id');
}

async function createTelephonyTables(db: Db): Promise<void> {
  await resourceTable(db, 'flows', (t) =>
    t
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('actions', 'text', (c) => c.notNull()),
  ).execute();
  await listIndex(db, 'flows', 'customer_id');

  await resourceTable(db, 'numbers', (t) =>
    t
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('call_flow_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema.createIndex('numbers_number_live_key').on('numbers').column('number').unique().where(live).execute();
  await listIndex(db, 'numbers', 'customer_id');

  await resourceTable(db, 'extensions', (t) =>
    t
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('extension', 'text', (c) => c.notNull())
      .addColumn('password', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('domain_name', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull()),
  ).execute();
  await db.schema
    .createIndex('extensions_customer_extension_live_key')
    .on('extensions')
    .columns(['customer_id', 'extension'])
    .unique()
    .where(live)
    .execute();
  await db.schema
    .createIndex('extensions_username_live_key')
    .on('extensions')
    .column('username')
    .unique()
    .where(live)
    .execute();
  await listIndex(db, 'extensions', 'customer_id');
}

async function createTrunkingTables(db: Db): Promise<void> {
  await resourceTable(db, 'providers', (t) =>
    t
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('port', 'integer', (c) => c.notNull())
      .addColumn('transport', 'text', (c) => c.notNull())
      .addColumn('tech_prefix', 'text', (c) => c.notNull())
      .addColumn('tech_postfix', 'text', (c) => c.notNull())
      .addColumn('tech_headers', 'text', (c) => c.notNull())
      .addColumn('auth_username', 'text', (c) => c.notNull())
      .addColumn('auth_password', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('codecs', 'text', (c) => c.notNull()),
  ).execute();
  await listIndex(db, 'providers', 'customer_id');

  await resourceTable(db, 'routes', (t) =>
    t
      .addColumn('customer_id', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull()),
  ).execute();
  await listIndex(db, 'routes', 'customer_id');
}

async function createSessionTables(db: Db): Promise<void> {
  await db.schema
    .createTable('idempotency_records')
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_records_pkey', ['credential_id', 'key'])
    .execute();
  await db.schema
    .createIndex('idempotency_records_tm_create_idx')
    .on('idempotency_records')
    .column('tm_create')
    .execute();

  await db.schema
    .createTable('registrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('customer_id', 'text', (c) => c.notNull())
    .addColumn('extension_id', 'text', (c) => c.notNull())
    .addColumn('contact', 'text', (c) => c.notNull())
    .addColumn('transport', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('cseq', 'integer', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('tm_expire', 'text', (c) => c.notNull())
    .addColumn('tm_create', 'text', (c) => c.notNull())
    .addColumn('tm_update', 'text', (c) => c.notNull())
    .addUniqueConstraint('registrations_extension_contact_key', ['extension_id', 'contact'])
    .execute();
  await db.schema.createIndex('registrations_tm_expire_idx').on('registrations').column('tm_expire').execute();
}

/** Tenancy, credentials, telephony resources, trunking, idempotency records and SIP bindings. */
export async function up(db: Db): Promise<void> {
  await createTenancyTables(db);
  await createTelephonyTables(db);
  await createTrunkingTables(db);
  await createSessionTables(db);
}

/** Drop everything `up` created. */
export async function down(db: Db): Promise<void> {
  const tables = [
    'registrations',
    'idempotency_records',
    'routes',
    'providers',
    'extensions',
    'numbers',
    'flows',
    'users',
    'accesskeys',
    'customers',
  ];
  for (const table of tables) await db.schema.dropTable(table).execute();
}
