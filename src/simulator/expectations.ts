import type { ExpectationResult, SimulationOutput } from './output.ts';
import type { SimulationScript } from './script.ts';

type Outcome = Omit<SimulationOutput, 'expectations'>;

/** Where each listed id starts, in order, within the started actions; the first one missing, if any. */
function firstMissing(ids: readonly string[], started: readonly string[]): string | undefined {
  let from = 0;
  for (const id of ids) {
    const at = started.indexOf(id, from);
    if (at < 0) return id;
    from = at + 1;
  }
  return undefined;
}

/**
 * The script's `expect` checked against a simulation (docs/testing-your-flows.md "Simulator"):
 * `branch_taken` the listed actions ran in this order (others may run between them), `variable`
 * each variable's value at the end, `hangup_reason` the call's, `webhook_called` a `webhook_send`
 * was made to each URL.
 */
export function checkExpectations(expect: SimulationScript['expect'], out: Outcome): ExpectationResult[] {
  if (expect === undefined) return [];
  const results: ExpectationResult[] = [];
  if (expect.branch_taken !== undefined) {
    const started = out.steps.filter((s) => s.event === 'start').map((s) => s.action_id);
    const missing = firstMissing(expect.branch_taken, started);
    results.push({
      expectation: `branch_taken ${expect.branch_taken.join(' → ')}`,
      met: missing === undefined,
      detail:
        missing === undefined
          ? `ran ${started.length} actions, these among them in order`
          : `${missing} did not run (in that order); ran: ${started.join(' → ') || 'nothing'}`,
    });
  }
  for (const [name, value] of Object.entries(expect.variable ?? {})) {
    const actual = Object.hasOwn(out.variables, name) ? out.variables[name] : undefined;
    results.push({
      expectation: `variable ${name} = ${JSON.stringify(value)}`,
      met: actual === value,
      detail: actual === undefined ? `${name} is not set` : `${name} is ${JSON.stringify(actual)}`,
    });
  }
  if (expect.hangup_reason !== undefined) {
    const actual = out.hangup?.reason;
    results.push({
      expectation: `hangup_reason ${expect.hangup_reason}`,
      met: actual === expect.hangup_reason,
      detail: actual === undefined ? 'the call did not hang up' : `the call hung up with ${actual}`,
    });
  }
  for (const url of expect.webhook_called ?? []) {
    const sent = out.requests.filter((r) => r.kind === 'webhook_send' && r.url === url);
    results.push({
      expectation: `webhook_called ${url}`,
      met: sent.length > 0,
      detail: sent.length > 0 ? `sent ${sent.length} time(s)` : 'no webhook_send to this URL',
    });
  }
  return results;
}
