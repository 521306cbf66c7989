import type { FieldIssue } from '../shared/index.ts';

/** Collects field issues up to a cap, so one bad request reports many problems but never thousands. */
export class IssueList {
  readonly #limit: number;
  readonly #issues: FieldIssue[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Adds issues until the cap is reached; the rest are dropped. */
  add(...issues: FieldIssue[]): void {
    for (const issue of issues) {
      if (this.full) return;
      this.#issues.push(issue);
    }
  }

  /** True once the cap is reached: callers stop looking for more. */
  get full(): boolean {
    return this.#issues.length >= this.#limit;
  }

  /** Number of issues collected so far. */
  get size(): number {
    return this.#issues.length;
  }

  /** The collected issues, in the order found. */
  toArray(): FieldIssue[] {
    return [...this.#issues];
  }
}
