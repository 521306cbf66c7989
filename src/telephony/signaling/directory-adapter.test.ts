import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock, newId } from '../../shared/index.ts';
import { openStore } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { DirectoryAdapter } from './directory-adapter.ts';

describe('DirectoryAdapter', () => {
  let dir: string;
  let store: Store;
  const clock = new FakeClock(Date.UTC(2026, 0, 1));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'callbin-directory-'));
    store = await openStore({ dataDir: dir, clock });
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the live contacts of an extension, [] when unregistered, undefined when it does not exist', async () => {
    const customerId = newId();
    const ext = await store.extensions.create({
      customer_id: customerId,
      extension: '1001',
      password: 'pw',
      username: `u-${newId()}`,
      domain_name: 'd',
      name: '',
      detail: '',
    });
    const directory = new DirectoryAdapter({ store, clock });
    assert.deepEqual(await directory.extensionContacts(customerId, '1001'), []);
    const binding = {
      customer_id: customerId,
      extension_id: ext.id,
      transport: 'UDP',
      source: '127.0.0.1:5062',
      call_id: 'c',
      cseq: 1,
      user_agent: 'phone',
    };
    await store.registrations.upsert({
      ...binding,
      contact: '<sip:a@127.0.0.1:5062>',
      tm_expire: new Date(clock.now() + 60_000).toISOString(),
    });
    await store.registrations.upsert({
      ...binding,
      contact: '<sip:b@127.0.0.1:5064>',
      tm_expire: new Date(clock.now() - 1).toISOString(),
    });
    assert.deepEqual(await directory.extensionContacts(customerId, '1001'), ['<sip:a@127.0.0.1:5062>']);
    assert.equal(await directory.extensionContacts(customerId, '1002'), undefined);
    assert.equal(await directory.extensionContacts(newId(), '1001'), undefined);
  });
});
