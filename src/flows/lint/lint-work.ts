/**
 * The work one lint does, counted in steps: a node or jump of a list's graph visited, a character of
 * an option's text scanned, a loop member counted. Every check is linear in the flow's size but the
 * loop-count check, which spends from a budget (docs/testing-your-flows.md "Linter"). Tests give
 * their own counter through `LintContext.work` to bound the work of a flow by its size.
 */
export class LintWork {
  steps = 0;

  add(steps: number): void {
    this.steps += steps;
  }
}
