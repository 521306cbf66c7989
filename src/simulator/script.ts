import { Type } from 'typebox';
import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';

/** The longest virtual time a script may name (ms): the simulation's own bound (docs/testing-your-flows.md "Simulator"). */
export const MAX_SCRIPT_MS = 24 * 3600 * 1000;

const Ms = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_SCRIPT_MS, description });
const UNANSWERED = ['busy', 'noanswer', 'failed'] as const;

/** An HTTP answer of the script: `{status, body}` (default 200, `[]`), or `{real: true}`. */
const HttpAnswer = Type.Object(
  {
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'answer status [200]' })),
    body: Type.Optional(Type.Unknown({ description: 'answer body: for fetch a JSON array of actions [[]]' })),
    delay_ms: Type.Optional(Ms('virtual time the answer takes [0]')),
    real: Type.Optional(Type.Boolean({ description: 'send the real request through the guarded client' })),
  },
  { additionalProperties: false },
);

const Callee = Type.Object(
  {
    answer: Type.Optional(Type.Boolean({ description: 'whether the callee answers [true]' })),
    after_ms: Type.Optional(Ms('when it answers, or hangs up unanswered, after it was dialled [0]')),
    reason: Type.Optional(Type.Enum(UNANSWERED, { description: 'why an unanswered callee ends [busy]' })),
    hangup_after_ms: Type.Optional(Ms('an answered callee hangs up this long after answering [never]')),
  },
  { additionalProperties: false },
);

/** The script of one simulation (docs/testing-your-flows.md "Simulator"). */
export const SimulationScriptSchema = Type.Object(
  {
    direction: Type.Optional(
      Type.Enum(['incoming', 'outgoing'], {
        description: 'the simulated call: outgoing (the flow runs once it answers) or incoming (ringing)',
      }),
    ),
    answer: Type.Optional(
      Type.Object(
        {
          after_ms: Type.Optional(Ms('an outgoing call answers this long after it was dialled [0]')),
          result: Type.Optional(
            Type.Enum(['answered', ...UNANSWERED], { description: 'how the dial ends [answered]' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    dtmf: Type.Optional(
      Type.Array(
        Type.Object(
          {
            at_ms: Ms('when the first digit is pressed'),
            digits: Type.String({ pattern: '^[0-9*#A-D]+$', maxLength: 100, description: 'DTMF symbols' }),
            interval_ms: Type.Optional(
              Type.Integer({ minimum: 0, maximum: 10_000, description: 'between digits [200]' }),
            ),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    ),
    hangup_at_ms: Type.Optional(Ms('the caller hangs up')),
    callees: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Callee, { maxProperties: 100 })),
    http: Type.Optional(Type.Record(Type.String({ maxLength: 2048 }), HttpAnswer, { maxProperties: 100 })),
    variables: Type.Optional(
      Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 32_768 }), { maxProperties: 100 }),
    ),
    source: Type.Optional(Type.String({ maxLength: 256, description: 'the calling party [+15550000001]' })),
    destination: Type.Optional(Type.String({ maxLength: 256, description: 'the called party [+15550000002]' })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31, description: 'seed of the ids [0]' })),
    start_at: Type.Optional(
      Type.String({ maxLength: 40, description: 'virtual start, RFC 3339 [2026-01-01T00:00:00Z]' }),
    ),
    expect: Type.Optional(
      Type.Object(
        {
          branch_taken: Type.Optional(Type.Array(Type.String({ maxLength: 256 }), { maxItems: 1000 })),
          variable: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String(), { maxProperties: 100 })),
          hangup_reason: Type.Optional(Type.String({ maxLength: 32 })),
          webhook_called: Type.Optional(Type.Array(Type.String({ maxLength: 2048 }), { maxItems: 100 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** A simulation script as given. */
export type SimulationScript = Static<typeof SimulationScriptSchema>;
/** One scripted HTTP answer. */
export type ScriptHttpAnswer = Static<typeof HttpAnswer>;
/** One scripted callee. */
export type ScriptCallee = Static<typeof Callee>;

const check = Compile(SimulationScriptSchema);

/** Refusals a schema cannot state: one script line per field. */
function crossIssues(script: SimulationScript, prefix: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (script.answer !== undefined && script.direction === 'incoming')
    issues.push({
      field: `${prefix}.answer`,
      reason: 'INVALID_ARGUMENT',
      message: 'applies to outgoing calls: an incoming call is answered by the flow',
    });
  if (script.start_at !== undefined && Number.isNaN(Date.parse(script.start_at)))
    issues.push({ field: `${prefix}.start_at`, reason: 'INVALID_ARGUMENT', message: 'is not an RFC 3339 time' });
  for (const [key, answer] of Object.entries(script.http ?? {}))
    if (answer.real === true && (answer.status !== undefined || answer.body !== undefined))
      issues.push({
        field: `${prefix}.http[${JSON.stringify(key)}]`,
        reason: 'INVALID_ARGUMENT',
        message: 'give either real: true or a scripted status and body',
      });
  return issues;
}

/** Checks a script (absent: the empty script); throws a 400 ValidationError naming each field. */
export function parseScript(raw: unknown, prefix = 'script'): SimulationScript {
  const script = raw ?? {};
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const e of check.Errors(script)) {
    const field = e.instancePath
      .split('/')
      .filter(Boolean)
      .reduce((f, key) => (/^\d+$/.test(key) ? `${f}[${key}]` : `${f}.${key}`), prefix);
    if (seen.has(field)) continue;
    seen.add(field);
    issues.push({ field, reason: 'INVALID_ARGUMENT', message: e.message });
  }
  if (issues.length > 0) throw new ValidationError(issues.slice(0, 20));
  const cross = crossIssues(script as SimulationScript, prefix);
  if (cross.length > 0) throw new ValidationError(cross);
  return script as SimulationScript;
}
