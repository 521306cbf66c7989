import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NIL_UUID, newId } from '../../../shared/index.ts';
import type { TimelineEntry, TimelineKind } from '../../../timeline/index.ts';
import { purgeExpiredRows } from '../../retention.ts';
import { timeOrderedId } from '../../time-ordered-id.ts';
import { TimelineRepo } from '../../timeline-repo.ts';
import { rejectsWith } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';

/** An entry at `ms` with `seq`, of the call and/or activeflow given. */
function entryAt(
  customerId: string,
  ms: number,
  seq: number,
  kind: TimelineKind,
  ids: { call?: string; activeflow?: string; conference?: string },
): TimelineEntry {
  return {
    id: timeOrderedId(ms),
    customer_id: customerId,
    call_id: ids.call ?? NIL_UUID,
    activeflow_id: ids.activeflow ?? NIL_UUID,
    conference_id: ids.conference ?? NIL_UUID,
    tm: new Date(ms).toISOString(),
    seq,
    kind,
    summary: `${kind} ${seq}`,
    data: { n: seq, nested: { text: 'ü"\\' } },
  };
}

/** The timeline repository (docs/timeline.md "Reading a timeline") on each dialect. */
export function timelineContract(ctx: ContractContext): void {
  describe('timeline entries', () => {
    const base = Date.UTC(2026, 10, 25, 9, 0, 0, 0);

    it("lists a call's entries and its activeflow's in (tm, seq) order, scoped to the customer", async () => {
      const repo = new TimelineRepo(ctx.store);
      const customer = newId();
      const other = newId();
      const call = newId();
      const activeflow = newId();
      // Written out of order, in two batches; two entries share a millisecond and differ by seq.
      await repo.insert([
        entryAt(customer, base + 20, 7, 'flow', { call, activeflow }),
        entryAt(customer, base + 10, 3, 'sip', { call }),
        entryAt(customer, base + 10, 2, 'status', { call }),
      ]);
      await repo.insert([
        entryAt(customer, base + 15, 5, 'http', { activeflow }),
        entryAt(customer, base + 30, 9, 'sip', { call: newId() }),
        entryAt(other, base + 12, 4, 'sip', { call }),
      ]);
      const page = await repo.list({ customerId: customer, callId: call, activeflowId: activeflow, limit: 100 });
      assert.deepEqual(
        page.items.map((e) => e.summary),
        ['status 2', 'sip 3', 'http 5', 'flow 7'],
      );
      assert.equal(page.next_page_token, '');
      const [first] = page.items;
      assert.equal(typeof first?.seq, 'number');
      assert.deepEqual(first?.data, { n: 2, nested: { text: 'ü"\\' } });
      const onlyFlow = await repo.list({ customerId: customer, activeflowId: activeflow, limit: 100 });
      assert.deepEqual(
        onlyFlow.items.map((e) => e.summary),
        ['http 5', 'flow 7'],
      );
      const foreign = await repo.list({ customerId: other, callId: call, limit: 100 });
      assert.deepEqual(
        foreign.items.map((e) => e.summary),
        ['sip 4'],
        "another customer's entries are not listed",
      );
      const nobody = await repo.list({ customerId: customer, limit: 100 });
      assert.deepEqual(nobody.items, [], 'no subject lists nothing');
    });

    it('filters by kind and pages with tokens, every entry once', async () => {
      const repo = new TimelineRepo(ctx.store);
      const customer = newId();
      const conference = newId();
      const kinds: TimelineKind[] = ['sip', 'status', 'flow', 'sip', 'media', 'sip', 'status'];
      // Five of seven in one millisecond: the cursor must step through equal tm by seq.
      await repo.insert(kinds.map((k, i) => entryAt(customer, base + (i < 5 ? 0 : i), i + 1, k, { conference })));
      const seen: string[] = [];
      let token = '';
      let pages = 0;
      do {
        const page = await repo.list({
          customerId: customer,
          conferenceId: conference,
          limit: 2,
          ...(token ? { pageToken: token } : {}),
        });
        seen.push(...page.items.map((e) => e.summary));
        token = page.next_page_token;
        pages++;
      } while (token !== '' && pages < 10);
      assert.deepEqual(seen, ['sip 1', 'status 2', 'flow 3', 'sip 4', 'media 5', 'sip 6', 'status 7']);
      assert.equal(pages, 4);
      const filtered = await repo.list({
        customerId: customer,
        conferenceId: conference,
        kinds: ['status', 'flow'],
        limit: 100,
      });
      assert.deepEqual(
        filtered.items.map((e) => e.summary),
        ['status 2', 'flow 3', 'status 7'],
      );
      await rejectsWith(
        repo.list({ customerId: customer, conferenceId: conference, limit: 2, pageToken: 'bm90LWEtdG9rZW4' }),
        'INVALID_PAGE_TOKEN',
        'page_token',
      );
    });

    it('the retention purge deletes the entries older than the cut-off', async () => {
      const repo = new TimelineRepo(ctx.store);
      const customer = newId();
      const call = newId();
      const old = base - 40 * 24 * 3600_000;
      await repo.insert([
        entryAt(customer, old, 1, 'sip', { call }),
        entryAt(customer, old + 1, 2, 'sip', { call }),
        entryAt(customer, old + 2, 3, 'sip', { call }),
        entryAt(customer, base, 4, 'sip', { call }),
      ]);
      const cutoff = new Date(base - 30 * 24 * 3600_000).toISOString();
      const report = await purgeExpiredRows(ctx.store, cutoff, { batchSize: 2 });
      assert.ok(report.timeline_entries >= 3, JSON.stringify(report));
      const left = await repo.list({ customerId: customer, callId: call, limit: 100 });
      assert.deepEqual(
        left.items.map((e) => e.summary),
        ['sip 4'],
      );
    });
  });
}
