import assert from 'node:assert/strict';
import { AppError } from '../../../shared/index.ts';
import type { FakeClock } from '../../../shared/index.ts';
import type { Store, StoreOptions } from '../../open-store.ts';

/** The node id the harness opens the store under test with (docs/cluster.md). */
export const CONTRACT_NODE_ID = 'contract-node-a';

/** What one dialect's harness hands the shared contract suite. */
export interface ContractContext {
  readonly dialect: 'sqlite' | 'postgres';
  readonly clock: FakeClock;
  /** The store under test, opened with node id {@link CONTRACT_NODE_ID}; replaced by `reopen()`. */
  readonly store: Store;
  /** Close the store and open the same database again (migrations run again). */
  reopen(): Promise<Store>;
  /** Open a second, independent store on the same database (other `nodeId` etc. by `overrides`); the caller closes it. */
  openAnother(overrides?: Pick<StoreOptions, 'nodeId'>): Promise<Store>;
}

/** Assert that `promise` rejects with an AppError of `code` whose first detail names `field` with `reason`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  field: string,
  reason = code,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.deepEqual(
      err.details.map((d) => [d.field, d.reason]),
      [[field, reason]],
    );
    return true;
  });
}

/** The clock's current time as the store writes it (shared/time.ts), for the contract files. */
export { isoNow } from '../../../shared/index.ts';
