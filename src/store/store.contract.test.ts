import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { FakeClock } from '../shared/index.ts';
import { CONTRACT_NODE_ID } from './testing/contract/contract-context.ts';
import type { ContractContext } from './testing/contract/contract-context.ts';
import { clusterContract } from './testing/contract/cluster-contract.ts';
import { processesContract } from './testing/contract/processes-contract.ts';
import { callsContract } from './testing/contract/calls-contract.ts';
import { activeflowsContract } from './testing/contract/activeflows-contract.ts';
import { recordingsContract } from './testing/contract/recordings-contract.ts';
import { conferencesContract } from './testing/contract/conferences-contract.ts';
import { crudContract } from './testing/contract/crud-contract.ts';
import { customersContract } from './testing/contract/customers-contract.ts';
import { eventsContract } from './testing/contract/events-contract.ts';
import { pagingContract } from './testing/contract/paging-contract.ts';
import { retentionContract } from './testing/contract/retention-contract.ts';
import { sessionContract } from './testing/contract/session-contract.ts';
import { timelineContract } from './testing/contract/timeline-contract.ts';
import { uniqueContract } from './testing/contract/unique-contract.ts';
import { voipbinContract } from './testing/contract/voipbin-contract.ts';
import { openStore } from './index.ts';
import type { Store, StoreOptions } from './index.ts';

/** The one suite body every dialect runs. */
function storeContract(ctx: ContractContext): void {
  crudContract(ctx);
  uniqueContract(ctx);
  customersContract(ctx);
  pagingContract(ctx);
  sessionContract(ctx);
  eventsContract(ctx);
  callsContract(ctx);
  activeflowsContract(ctx);
  recordingsContract(ctx);
  conferencesContract(ctx);
  clusterContract(ctx);
  processesContract(ctx);
  voipbinContract(ctx);
  timelineContract(ctx);
  // Last: it moves the clock a month on and purges what the others left.
  retentionContract(ctx);
}

/** A ContractContext over a database that `options()` opens; the harness owns its lifetime. */
class Harness implements ContractContext {
  readonly dialect: 'sqlite' | 'postgres';
  readonly clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0, 123));
  options: StoreOptions | undefined;
  #store: Store | undefined;

  constructor(dialect: 'sqlite' | 'postgres') {
    this.dialect = dialect;
  }

  get store(): Store {
    if (!this.#store) throw new Error(`${this.dialect} store is not open (see the before hook's failure)`);
    return this.#store;
  }

  async open(options: StoreOptions): Promise<void> {
    this.options = { nodeId: CONTRACT_NODE_ID, ...options, clock: this.clock };
    this.#store = await openStore(this.options);
  }

  async reopen(): Promise<Store> {
    await this.#store?.close();
    this.#store = undefined;
    this.#store = await this.openAnother();
    return this.#store;
  }

  async openAnother(overrides: Pick<StoreOptions, 'nodeId'> = {}): Promise<Store> {
    if (!this.options) throw new Error('harness not opened');
    return openStore({ ...this.options, ...overrides });
  }

  async close(): Promise<void> {
    await this.#store?.close();
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

describe('store contract (sqlite)', () => {
  const harness = new Harness('sqlite');
  let dataDir = '';
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'callbin-store-'));
    await harness.open({ dataDir });
  });
  after(async () => {
    await harness.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  storeContract(harness);
});

const adminUrl = process.env.CALLBIN_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Connect once up front so an absent server shows as one failing test, not a cancelled suite. */
async function probePostgres(): Promise<Error | undefined> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return new Error(
      `PostgreSQL is unreachable at ${redact(adminUrl)}; set CALLBIN_TEST_DATABASE_URL to a server this test may create databases on`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgresProblem = await probePostgres();

describe('store contract (postgres)', () => {
  if (postgresProblem) {
    // Never skip: the PostgreSQL half of the contract is required.
    it('PostgreSQL is reachable', () => {
      throw postgresProblem;
    });
    return;
  }
  const harness = new Harness('postgres');
  const database = `callbin_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  let created = false;
  before(async () => {
    await admin.connect();
    await admin.query(`create database ${database}`);
    created = true;
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    await harness.open({ dataDir: tmpdir(), databaseUrl: url.toString() });
  });
  after(async () => {
    await harness.close();
    if (created) await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });
  storeContract(harness);
});
