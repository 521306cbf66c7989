import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AppError, NIL_UUID } from '../shared/index.ts';
import type { Accesskey, Store } from '../store/index.ts';
import { hashPassword, hashToken, newAccessKeyToken } from './credentials.ts';
import { newWebhookSecret } from './routes/customers.ts';

/** The project admin's credentials, known only on the first start. */
export interface ProjectAdmin {
  accessKey: string;
  username: string;
  password: string;
  customerId: string;
  file: string;
}

const ADMIN_FILE = 'admin-credentials.json';
const ADMIN_USERNAME = 'admin';
/** The name of the key made from a generated token on the first start. */
const FIRST_KEY_NAME = 'project admin';
/** The name of keys seeded from `CALLBIN_ADMIN_KEY`; a new value replaces the previous one. */
export const SEEDED_KEY_NAME = 'project admin (CALLBIN_ADMIN_KEY)';

/**
 * The project admin is a principal of its own: its access keys and its user live in the project
 * scope (customer_id is the nil UUID), outside every customer's scope, so no customer credential can
 * see, change or delete them. On customer-scoped resources it acts for the `default` customer
 * (`acting_customer_id`). Idempotent at every start:
 * - the first start creates the `default` customer, an admin key (`adminKey` or a generated one) and
 *   the `admin` user, and saves the credentials with mode 0600; the result is returned only then;
 * - a later start with the same `adminKey` changes nothing (a deleted key of that token is restored);
 * - a later start with a different `adminKey` adds it and revokes the keys an earlier
 *   `CALLBIN_ADMIN_KEY` seeded (the generated first key stays), and updates the saved file;
 * - the `default` customer is never created twice, whatever was deleted.
 */
export async function ensureProjectAdmin(
  store: Store,
  config: { dataDir: string; adminKey: string },
): Promise<ProjectAdmin | undefined> {
  const file = join(config.dataDir, ADMIN_FILE);
  const existing = (await store.accesskeys.projectActingCustomer()) ?? (await store.users.projectActingCustomer());
  if (existing === undefined) return firstStart(store, config.adminKey, file);
  if (config.adminKey) await seedKey(store, existing, config.adminKey, file);
  return undefined;
}

async function firstStart(store: Store, adminKey: string, file: string): Promise<ProjectAdmin> {
  const accessKey = adminKey || newAccessKeyToken();
  await refuseCustomerToken(store, accessKey);
  const password = randomBytes(12).toString('base64url');
  const customer = await store.customers.create({
    name: 'default',
    detail: 'created on first start',
    email: '',
    webhook_method: 'POST',
    webhook_uri: '',
    webhook_secret: newWebhookSecret(),
    webhook_event_types: [],
  });
  await store.accesskeys.create(adminKeyRow(customer.id, accessKey, adminKey ? SEEDED_KEY_NAME : FIRST_KEY_NAME));
  await store.users.create({
    customer_id: NIL_UUID,
    acting_customer_id: customer.id,
    username: ADMIN_USERNAME,
    password_hash: await hashPassword(password),
    name: 'project admin',
    detail: '',
    role: 'admin',
    password_version: 0,
  });
  writeFileSync(
    file,
    JSON.stringify({ access_key: accessKey, username: ADMIN_USERNAME, password, customer_id: customer.id }, null, 2) +
      '\n',
    { mode: 0o600 },
  );
  chmodSync(file, 0o600);
  return { accessKey, username: ADMIN_USERNAME, password, customerId: customer.id, file };
}

/** Make `token` a live project admin key, revoking keys seeded from an earlier `CALLBIN_ADMIN_KEY`. */
async function seedKey(store: Store, actingCustomerId: string, token: string, file: string): Promise<void> {
  const hash = hashToken(token);
  const found = await store.accesskeys.findAnyByTokenHash(hash);
  if (found && found.customer_id !== NIL_UUID) await refuseCustomerToken(store, token);
  if (found?.tm_delete) await store.accesskeys.restore(found.id);
  if (!found) await store.accesskeys.create(adminKeyRow(actingCustomerId, token, SEEDED_KEY_NAME));
  if (found && !found.tm_delete) return;
  const seeded = await store.accesskeys.list({
    customerId: NIL_UUID,
    pageSize: 1000,
    filter: { name: SEEDED_KEY_NAME },
  });
  for (const key of seeded.items) if (key.token_hash !== hash) await store.accesskeys.delete(key.id);
  if (existsSync(file)) {
    let saved: Record<string, unknown> = {};
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      // an unreadable file is replaced by what is known now
    }
    writeFileSync(file, JSON.stringify({ ...saved, access_key: token }, null, 2) + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  }
}

/** A customer's token can never become the admin's: that customer would hold the admin key. */
async function refuseCustomerToken(store: Store, token: string): Promise<void> {
  const found = await store.accesskeys.findAnyByTokenHash(hashToken(token));
  if (found && found.customer_id !== NIL_UUID) {
    throw new AppError(
      'ADMIN_KEY_IS_CUSTOMER_KEY',
      "CALLBIN_ADMIN_KEY is (or was) a customer's access key; choose a fresh token",
    );
  }
}

function adminKeyRow(
  actingCustomerId: string,
  token: string,
  name: string,
): Omit<Accesskey, 'id' | 'tm_create' | 'tm_update' | 'tm_delete'> {
  return {
    customer_id: NIL_UUID,
    acting_customer_id: actingCustomerId,
    name,
    detail: 'created at start',
    role: 'admin',
    token_hash: hashToken(token),
    token_prefix: token.slice(0, 7),
  };
}
