/** One logical transaction of an open commit group (SQLite's session, a PostgreSQL lane). */
export interface GroupMember {
  settle(err: unknown): void;
  afterCommit: readonly (() => void)[];
}

/**
 * Settle the members of a group once its commit is known: on success each member's after-commit
 * callbacks run first, and one that throws fails only its own transaction's promise; on failure every
 * member fails with it.
 */
export function settleGroup(members: readonly GroupMember[], failure: unknown): void {
  for (const m of members) {
    let err = failure;
    if (err === undefined) {
      try {
        for (const cb of m.afterCommit) cb();
      } catch (cbErr) {
        err = cbErr ?? new Error('after-commit callback failed');
      }
    }
    m.settle(err);
  }
}
