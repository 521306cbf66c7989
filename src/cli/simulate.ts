import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { NIL_UUID, ValidationError } from '../shared/index.ts';
import { RealHttp, formatTimeline, simulate } from '../simulator/index.ts';

interface SimulateOptions {
  script?: string;
  pretty?: boolean;
}

/** Reads a JSON file; a file that is not JSON is a 400-style error naming the option. */
function readJson(path: string, field: string): unknown {
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw ValidationError.field(field, 'INVALID_ARGUMENT', `${path} is not JSON: ${(err as Error).message}`);
  }
}

/** A flow file: a list of actions, or a flow object with `actions` (as `GET /flows/{id}` answers). */
function actionsOf(flow: unknown): readonly unknown[] {
  if (Array.isArray(flow)) return flow;
  const actions = (flow as { actions?: unknown } | null)?.actions;
  if (Array.isArray(actions)) return actions;
  throw ValidationError.field('flow', 'INVALID_ARGUMENT', 'must hold a list of actions or an object with "actions"');
}

/**
 * `callbin simulate flow.json [--script script.json] [--pretty]`: runs the flow on a simulated call
 * (docs/testing-your-flows.md "Simulator"); prints the output and exits 1 when an expectation is unmet.
 */
export function simulateCommands(program: Command, fail: (err: unknown) => never): void {
  program
    .command('simulate')
    .description('run a flow against a simulated call on a virtual clock; exits 1 when an expectation is unmet')
    .argument('<flow>', 'JSON file: a list of actions, or a flow object with "actions"')
    .option('--script <path>', 'JSON file: the simulation script (answer, dtmf, hangup_at_ms, callees, http, expect)')
    .option('--pretty', 'print a readable timeline instead of JSON')
    .action(async (flowPath: string, opts: SimulateOptions) => {
      const realHttp = new RealHttp('local');
      try {
        const out = await simulate({
          customer_id: NIL_UUID,
          flow: { actions: actionsOf(readJson(flowPath, 'flow')) },
          script: opts.script === undefined ? undefined : readJson(opts.script, 'script'),
          realHttp,
        });
        console.log(opts.pretty === true ? formatTimeline(out) : JSON.stringify(out, null, 2));
        const unmet = out.expectations.filter((e) => !e.met);
        for (const e of unmet) console.error(`callbin: expectation unmet: ${e.expectation}: ${e.detail}`);
        process.exitCode = unmet.length > 0 ? 1 : 0;
      } catch (err) {
        fail(err);
      } finally {
        await realHttp.close();
      }
    });
}
