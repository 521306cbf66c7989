import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { checkFlow, checkFlowLimits } from '../flows/index.ts';
import type { LintContext } from '../flows/index.ts';
import { isSupportedLanguage, listVoices } from '../media/index.ts';
import { type FieldIssue, ValidationError } from '../shared/index.ts';

interface LintOptions {
  strict?: boolean;
  extensions?: string;
}

/** The action list of a file: a flow body as `POST /flows` takes it, or a bare array of actions. */
function actionsOf(text: string, file: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(parsed)) return parsed;
  if (parsed !== null && typeof parsed === 'object' && 'actions' in parsed) return parsed.actions;
  throw new Error(`${file} holds neither a flow with "actions" nor an array of actions`);
}

/** The id given to the action a field path is in (`actions[2].option.text` → the id of `actions[2]`), or "". */
function givenIdAt(actions: unknown, field: string): string {
  let list = actions;
  let id = '';
  for (let rest = field, m = /^actions\[(\d+)\]/.exec(rest); m !== null; m = /^\.option\.actions\[(\d+)\]/.exec(rest)) {
    const item: unknown = Array.isArray(list) ? list[Number(m[1])] : undefined;
    if (item === null || typeof item !== 'object') return '';
    const given = (item as Record<string, unknown>)['id'];
    id = typeof given === 'string' ? given : '';
    list = ((item as Record<string, unknown>)['option'] as Record<string, unknown> | undefined)?.['actions'];
    rest = rest.slice(m[0].length);
  }
  return id;
}

/** The size-limit errors of a list of actions (nesting depth, items, actions in all): none when within. */
function limitErrors(actions: unknown): readonly FieldIssue[] {
  try {
    checkFlowLimits(actions);
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.details;
  }
}

/** Lints one file; prints one line per error and warning (action, code, message) and a summary; answers the exit code. */
async function lintFile(file: string, opts: LintOptions): Promise<number> {
  const actions = actionsOf(readFileSync(file, 'utf8'), file);
  // Beyond the size limits of a saved flow the list is refused, never linted (docs/flows.md "Limits").
  const overLimits = limitErrors(actions);
  if (overLimits.length > 0) {
    for (const e of overLimits) console.log(`error    ${e.field}  ${e.reason}  ${e.field}: ${e.message}`);
    console.log(`${file}: ${overLimits.length} error(s), not linted (over the size limits of a flow)`);
    return 1;
  }
  const voices = new Set(listVoices().map((v) => v.voice_id));
  const extensions = opts.extensions?.split(',').map((name) => name.trim());
  const context: LintContext = {
    isSupportedLanguage,
    isSupportedVoice: (id) => voices.has(id),
    ...(extensions ? { extensionExists: (name: string) => extensions.includes(name) } : {}),
  };
  const { warnings, errors } = await checkFlow(actions, context);
  const lines = [
    ...errors.map((e) => `error    ${givenIdAt(actions, e.field) || e.field}  ${e.reason}  ${e.field}: ${e.message}`),
    ...warnings.map((w) => `warning  ${w.action_id || w.field}  ${w.code}  ${w.message}`),
  ];
  for (const line of lines) console.log(line);
  console.log(`${file}: ${errors.length} error(s), ${warnings.length} warning(s)`);
  return errors.length > 0 || (opts.strict === true && warnings.length > 0) ? 1 : 0;
}

/** `callbin lint <file>`: validate and lint a flow offline (docs/testing-your-flows.md "Linter"). */
export function lintCommands(program: Command): void {
  program
    .command('lint')
    .description('check a flow file offline: errors exit 1, warnings exit 0 (1 with --strict)')
    .argument('<file>', 'a flow body as POST /flows takes it, or a JSON array of actions')
    .option('--strict', 'exit 1 on warnings too')
    .option('--extensions <names>', 'comma-separated extensions of the customer; without it extensions are not checked')
    .action(async (file: string, opts: LintOptions) => {
      try {
        process.exitCode = await lintFile(file, opts);
      } catch (err) {
        // An unreadable file or one that holds no flow: said plainly, as an error.
        console.error(`callbin: ${(err as Error).message}`);
        process.exitCode = 1;
      }
    });
}
