import { chmodSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Store } from '../store/index.ts';
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

/**
 * On the first start, create the default customer and the project admin (an access key and a user
 * of that customer with the admin role), and save the credentials with mode 0600.
 */
export async function ensureProjectAdmin(store: Store, config: { dataDir: string; adminKey: string }): Promise<ProjectAdmin | undefined> {
  const existing = await store.accesskeys.list({ pageSize: 1, filter: { role: 'admin' } });
  if (existing.items.length > 0) return undefined;
  const accessKey = config.adminKey || newAccessKeyToken();
  const password = randomBytes(12).toString('base64url');
  const customer = await store.customers.create({
    name: 'default', detail: 'created on first start', email: '', webhook_method: 'POST', webhook_uri: '',
    webhook_secret: newWebhookSecret(), webhook_event_types: [],
  });
  await store.accesskeys.create({
    customer_id: customer.id, name: 'project admin', detail: 'created on first start', role: 'admin',
    token_hash: hashToken(accessKey), token_prefix: accessKey.slice(0, 7),
  });
  if (!(await store.users.findByUsername('admin'))) {
    await store.users.create({ customer_id: customer.id, username: 'admin', password_hash: await hashPassword(password), name: 'project admin', detail: '', role: 'admin' });
  }
  const file = join(config.dataDir, ADMIN_FILE);
  writeFileSync(file, JSON.stringify({ access_key: accessKey, username: 'admin', password, customer_id: customer.id }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { accessKey, username: 'admin', password, customerId: customer.id, file };
}

