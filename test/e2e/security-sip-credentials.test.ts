import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/config/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { digestHa1s } from '../../src/sip/index.ts';
import { openStore } from '../../src/store/index.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import { RawSipPhone } from '../support/raw-sip-phone.ts';
import { freePort, runSipp } from '../support/sipp.ts';

const SIP_DOMAIN = 'sip.callbin.local';
const PASSWORD = 'Legacy-pass-2001';

/** An extension row as the code before migration 0007 wrote it: the password in clear. */
function legacyRow() {
  const customerId = randomUUID();
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    customer_id: customerId,
    extension: '2001',
    password: PASSWORD,
    username: `2001-${customerId.replace(/-/g, '').slice(0, 12)}`,
    domain_name: `${customerId}.${SIP_DOMAIN}`,
    name: 'legacy',
    detail: '',
    tm_create: now,
    tm_update: now,
  };
}

/** Bring a database to the schema before 0007 and put one legacy extension in it. */
async function legacyDatabase(db: Kysely<any>, row: ReturnType<typeof legacyRow>): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0006_conferences');
  assert.equal(error, undefined);
  await db.insertInto('extensions').values(row).execute();
  await db.destroy();
}

function assertMigrated(
  stored:
    | { password: string; digest_ha1?: { username: string; realm: string; md5: string; sha256: string }[] }
    | undefined,
  row: ReturnType<typeof legacyRow>,
): void {
  assert.ok(stored);
  assert.equal(stored.password, '', 'the plaintext column is blank');
  const platform = digestHa1s(row.username, SIP_DOMAIN, PASSWORD);
  const tenant = digestHa1s(row.extension, row.domain_name, PASSWORD);
  assert.deepEqual(
    stored.digest_ha1?.find((h) => h.realm === SIP_DOMAIN),
    { username: row.username, realm: SIP_DOMAIN, md5: platform['MD5'], sha256: platform['SHA-256'] },
  );
  assert.deepEqual(
    stored.digest_ha1?.find((h) => h.username === row.extension),
    { username: row.extension, realm: row.domain_name, md5: tenant['MD5'], sha256: tenant['SHA-256'] },
  );
}

describe('migration 0007: SIP passwords become HA1 values; phones keep registering', { timeout: 120_000 }, () => {
  const row = legacyRow();
  let dataDir = '';
  let handle: CallbinHandle;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'callbin-ha1-'));
    await legacyDatabase(
      new Kysely<any>({ dialect: new SqliteDialect({ database: new SqliteDatabase(join(dataDir, 'callbin.db')) }) }),
      row,
    );
    const config = loadConfig(
      {},
      { dataDir, httpHost: '127.0.0.1', httpPort: 0, sipHost: '127.0.0.1', sipPort: 0, logLevel: 'silent' },
    );
    handle = await startCallbin(config, { logger: silentLogger });
  });
  after(async () => {
    await handle?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('SQLite: the row holds no plaintext, only the HA1 values of both realms', async () => {
    assertMigrated(await handle.store.extensions.get(row.id), row);
  });

  it('SQLite: no byte of the database files holds the old password (free pages and WAL scrubbed)', () => {
    for (const name of ['callbin.db', 'callbin.db-wal']) {
      const file = join(dataDir, name);
      if (!existsSync(file)) continue;
      assert.equal(
        readFileSync(file).includes(Buffer.from(PASSWORD)),
        false,
        `${name} still holds the plaintext password`,
      );
    }
  });

  it('sipp (MD5) registers with the migrated credentials', async () => {
    const scenario = fileURLToPath(new URL('../fixtures/sipp/register-add.xml', import.meta.url));
    const localPort = await freePort('udp');
    const sipp = await runSipp(
      [
        '-sf',
        scenario,
        `127.0.0.1:${handle.sip.address.port}`,
        '-i',
        '127.0.0.1',
        '-p',
        String(localPort),
        '-s',
        row.username,
        '-au',
        row.username,
        '-ap',
        PASSWORD,
        '-m',
        '1',
        '-nostdin',
      ],
      { timeoutMs: 20_000 },
    );
    assert.equal(sipp.code, 0, `sipp register failed:\n${sipp.stdout}\n${sipp.stderr}`);
  });

  it('a SHA-256 client registers too, in the platform realm and as <extension>@<domain_name>', async () => {
    const phone = await RawSipPhone.open('127.0.0.50', handle.sip.address.port);
    try {
      const platform = await phone.authenticate({
        method: 'REGISTER',
        user: row.username,
        password: PASSWORD,
        algorithm: 'SHA-256',
        callId: 'sha-1',
      });
      assert.equal(platform.res.status, 200);
      const tenant = await phone.authenticate({
        method: 'REGISTER',
        user: row.extension,
        domain: row.domain_name,
        password: PASSWORD,
        algorithm: 'SHA-256',
        callId: 'sha-2',
      });
      assert.equal(tenant.res.status, 200);
      const wrong = await phone.authenticate({
        method: 'REGISTER',
        user: row.username,
        password: 'Wrong-pass-2001',
        algorithm: 'SHA-256',
        callId: 'sha-3',
      });
      assert.equal(wrong.res.status, 403);
    } finally {
      phone.close();
    }
  });
});

const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('migration 0007 on PostgreSQL', () => {
  const database = `callbin_ha1_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  let created = false;
  before(async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    created = true;
  });
  after(async () => {
    if (created) await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  it('the row holds no plaintext, only the HA1 values of both realms', async () => {
    const row = legacyRow();
    await legacyDatabase(
      new Kysely<any>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }),
      }),
      row,
    );
    const store = await openStore({ dataDir: tmpdir(), databaseUrl: url.toString() });
    try {
      assertMigrated(await store.extensions.get(row.id), row);
    } finally {
      await store.close();
    }
  });
});
