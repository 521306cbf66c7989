import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { hashToken } from '../../src/api/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { apiCall, expectStatus } from '../support/callbin.ts';

const newKey = () => 'vb_' + randomBytes(30).toString('base64url');

/** A whole callbin on loopback over `dataDir`, started as `CALLBIN_ADMIN_KEY=adminKey callbin start` would. */
async function start(dataDir: string, adminKey: string): Promise<CallbinHandle> {
  const rtpPortMin = 20_000 + 2 * Math.floor(Math.random() * 9_000);
  const config = loadConfig(
    { CALLBIN_ADMIN_KEY: adminKey },
    {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      logLevel: 'silent',
      rtpPortMin,
      rtpPortMax: rtpPortMin + 199,
    },
  );
  return startCallbin(config, { logger: silentLogger });
}

async function defaultCustomers(h: CallbinHandle, key: string): Promise<string[]> {
  const list = expectStatus(await apiCall(h.apiUrl, key, 'GET', '/v1.0/customers?page_size=100'), 200);
  return (list.result as { id: string; name: string }[]).filter((c) => c.name === 'default').map((c) => c.id);
}

/** The admin's key and user rows, read straight from the store. */
async function adminRows(h: CallbinHandle, adminKey: string): Promise<{ keyId: string; userId: string }> {
  const key = await h.store.db
    .selectFrom('accesskeys')
    .select('id')
    .where('token_hash', '=', hashToken(adminKey))
    .executeTakeFirstOrThrow();
  const user = await h.store.db
    .selectFrom('users')
    .select('id')
    .where('username', '=', 'admin')
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow();
  return { keyId: key.id, userId: user.id };
}

/** Every way a credential of the `default` customer could reach the admin's key and user: all 404 or absent. */
async function assertAdminInvisible(
  h: CallbinHandle,
  credential: string,
  admin: { keyId: string; userId: string },
  label: string,
): Promise<void> {
  const call = (method: string, path: string, body?: unknown) => apiCall(h.apiUrl, credential, method, path, body);
  const keys = expectStatus(await call('GET', '/v1.0/accesskeys?page_size=100'), 200);
  assert.ok(!keys.result.some((k: { id: string }) => k.id === admin.keyId), `${label}: the admin key is listed`);
  const users = expectStatus(await call('GET', '/v1.0/users?page_size=100'), 200);
  assert.ok(!users.result.some((u: { id: string }) => u.id === admin.userId), `${label}: the admin user is listed`);
  assert.equal((await call('GET', `/v1.0/accesskeys/${admin.keyId}`)).status, 404, label);
  assert.equal((await call('PUT', `/v1.0/accesskeys/${admin.keyId}`, { name: 'mine now' })).status, 404, label);
  assert.equal((await call('DELETE', `/v1.0/accesskeys/${admin.keyId}`)).status, 404, label);
  assert.equal((await call('GET', `/v1.0/users/${admin.userId}`)).status, 404, label);
  assert.equal(
    (await call('PUT', `/v1.0/users/${admin.userId}`, { password: 'taken over password' })).status,
    404,
    label,
  );
  assert.equal((await call('DELETE', `/v1.0/users/${admin.userId}`)).status, 404, label);
}

describe('the project admin is a principal of its own', () => {
  it('no credential of the default customer reaches the admin; restarts with CALLBIN_ADMIN_KEY are idempotent', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callbin-admin-'));
    const k1 = newKey();
    let h: CallbinHandle | undefined;
    try {
      h = await start(dataDir, k1);
      const saved = JSON.parse(await readFile(join(dataDir, 'admin-credentials.json'), 'utf8')) as { password: string };
      const asAdmin = (method: string, path: string, body?: unknown) => apiCall(h!.apiUrl, k1, method, path, body);
      const defaultId = expectStatus(await asAdmin('GET', '/v1.0/customer'), 200).id as string;
      const customerKey = expectStatus(await asAdmin('POST', '/v1.0/accesskeys', { name: 'default ops' }), 200);
      assert.equal(customerKey.role, 'customer');
      assert.equal(customerKey.customer_id, defaultId);
      expectStatus(
        await apiCall(h.apiUrl, customerKey.token, 'POST', '/v1.0/users', {
          username: 'ops',
          password: 'ops password',
        }),
        200,
      );
      const opsLogin = expectStatus(
        await apiCall(h.apiUrl, '', 'POST', '/v1.0/auth/login', { username: 'ops', password: 'ops password' }),
        200,
      );
      const admin = await adminRows(h, k1);

      await assertAdminInvisible(h, customerKey.token, admin, 'customer key of default');
      await assertAdminInvisible(h, opsLogin.token, admin, 'login token of a default user');

      // The admin keeps working: its key, its login, customer-scoped resources of the default customer.
      expectStatus(await asAdmin('GET', '/v1.0/customers'), 200);
      expectStatus(await asAdmin('POST', '/v1.0/flows', { name: 'admin flow', actions: [{ type: 'answer' }] }), 200);
      const adminLogin = expectStatus(
        await apiCall(h.apiUrl, '', 'POST', '/v1.0/auth/login', { username: 'admin', password: saved.password }),
        200,
      );
      expectStatus(await apiCall(h.apiUrl, adminLogin.token, 'GET', '/v1.0/providers'), 200);
      assert.equal(expectStatus(await apiCall(h.apiUrl, adminLogin.token, 'GET', '/v1.0/customer'), 200).id, defaultId);
      // A user the admin makes belongs to the default customer with the customer role.
      assert.equal(
        expectStatus(await asAdmin('POST', '/v1.0/users', { username: 'helper', password: 'helper password' }), 200)
          .role,
        'customer',
      );
      await h.close();

      for (let i = 0; i < 2; i++) {
        h = await start(dataDir, k1);
        assert.equal(h.admin, undefined, 'a restart creates no new admin');
        assert.deepEqual(await defaultCustomers(h, k1), [defaultId]);
        await h.close();
      }

      // A different key later: it is added, the key seeded before is revoked, the file follows.
      const k2 = newKey();
      h = await start(dataDir, k2);
      assert.deepEqual(await defaultCustomers(h, k2), [defaultId]);
      assert.equal((await apiCall(h.apiUrl, k1, 'GET', '/v1.0/customers')).status, 401);
      assert.equal(expectStatus(await apiCall(h.apiUrl, k2, 'GET', '/v1.0/customer'), 200).id, defaultId);
      assert.equal(JSON.parse(await readFile(join(dataDir, 'admin-credentials.json'), 'utf8')).access_key, k2);
    } finally {
      await h?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a database from before the change: the admin rows move out of the default customer; a deleted admin key is restored by CALLBIN_ADMIN_KEY', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callbin-admin-old-'));
    const adminKey = newKey();
    const customerToken = newKey();
    const now = new Date().toISOString();
    const ids = {
      customer: crypto.randomUUID(),
      adminKey: crypto.randomUUID(),
      adminUser: crypto.randomUUID(),
      customerKey: crypto.randomUUID(),
    };
    // The state the defect left: the admin key and user belonged to `default`, whose key deleted the admin key.
    const old = new Kysely<any>({
      dialect: new SqliteDialect({ database: new Database(join(dataDir, 'callbin.db')) }),
    });
    const migrated = await new Migrator({ db: old, provider: migrationProvider }).migrateTo('0007_sip_credentials');
    assert.equal(migrated.error, undefined);
    const row = { tm_create: now, tm_update: now };
    await old
      .insertInto('customers')
      .values({
        id: ids.customer,
        name: 'default',
        detail: '',
        email: '',
        webhook_method: 'POST',
        webhook_uri: '',
        webhook_secret: 'whsec_x',
        webhook_event_types: '[]',
        ...row,
      })
      .execute();
    await old
      .insertInto('accesskeys')
      .values([
        {
          id: ids.adminKey,
          customer_id: ids.customer,
          name: 'project admin',
          detail: '',
          role: 'admin',
          token_hash: hashToken(adminKey),
          token_prefix: adminKey.slice(0, 7),
          ...row,
          tm_delete: now,
        },
        {
          id: ids.customerKey,
          customer_id: ids.customer,
          name: 'ops',
          detail: '',
          role: 'customer',
          token_hash: hashToken(customerToken),
          token_prefix: customerToken.slice(0, 7),
          ...row,
        },
      ])
      .execute();
    await old
      .insertInto('users')
      .values({
        id: ids.adminUser,
        customer_id: ids.customer,
        username: 'admin',
        password_hash: 'scrypt$x$y',
        name: '',
        detail: '',
        role: 'admin',
        ...row,
      })
      .execute();
    await old.destroy();

    let h: CallbinHandle | undefined;
    try {
      for (let i = 0; i < 2; i++) {
        h = await start(dataDir, adminKey);
        assert.deepEqual(await defaultCustomers(h, adminKey), [ids.customer]);
        assert.equal(expectStatus(await apiCall(h.apiUrl, adminKey, 'GET', '/v1.0/customer'), 200).id, ids.customer);
        await assertAdminInvisible(
          h,
          customerToken,
          { keyId: ids.adminKey, userId: ids.adminUser },
          'migrated customer key',
        );
        await h.close();
        h = undefined;
      }
    } finally {
      await h?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
