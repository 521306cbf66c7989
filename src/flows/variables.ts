import { ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import type { Call } from '../calls/index.ts';

/** Prefix of the variables callbin sets itself; request variables may not use it. */
export const RESERVED_VARIABLE_PREFIX = 'voipbin.';

/** Most variables a create request may give. */
export const MAX_REQUEST_VARIABLES = 100;

/** Longest value of one request variable, in bytes (32 KiB). */
export const MAX_VARIABLE_VALUE_BYTES = 32 * 1024;

/**
 * Most bytes (names and values) of all request variables together: the activeflow row and every
 * activeflow event carry them, so they must stay small (docs/security.md, bounded growth).
 */
export const MAX_REQUEST_VARIABLES_BYTES = 48 * 1024;

/** The variable DTMF collected by `digits_receive` goes to (and `branch` reads by default). */
export const DIGITS_VARIABLE = 'voipbin.call.digits';

/** The variable `amd` writes its result to. */
export const AMD_RESULT_VARIABLE = 'voipbin.amd.result';

const REFERENCE = /\$\{([^}]*)\}/g;

/** Replaces every `${name}` in `text` by the variable's value; unknown names become `""`. */
export function substituteText(text: string, variables: Readonly<Record<string, string>>): string {
  if (!text.includes('${')) return text;
  return text.replace(REFERENCE, (_match, name: string) =>
    Object.hasOwn(variables, name) ? (variables[name] ?? '') : '',
  );
}

/** A deep copy of `value` with every string (nested in objects and arrays too) substituted. */
export function substituteOption<T>(value: T, variables: Readonly<Record<string, string>>): T {
  if (typeof value === 'string') return substituteText(value, variables) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => substituteOption(item, variables)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = substituteOption(item, variables);
    return out as T;
  }
  return value;
}

function variableIssues(variables: Readonly<Record<string, unknown>>, field: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const keys = Object.keys(variables);
  if (keys.length > MAX_REQUEST_VARIABLES) {
    issues.push({
      field,
      reason: 'INVALID_VARIABLES',
      message: `has ${keys.length} variables, at most ${MAX_REQUEST_VARIABLES} allowed`,
    });
  }
  let total = 0;
  for (const key of keys) {
    const value = variables[key];
    const at = `${field}.${key}`;
    total += Buffer.byteLength(key, 'utf8') + (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
    if (key.startsWith(RESERVED_VARIABLE_PREFIX))
      issues.push({
        field: at,
        reason: 'INVALID_VARIABLES',
        message: `names starting with "${RESERVED_VARIABLE_PREFIX}" are reserved`,
      });
    else if (key.length === 0)
      issues.push({ field: at, reason: 'INVALID_VARIABLES', message: 'a variable name may not be empty' });
    else if (typeof value !== 'string')
      issues.push({ field: at, reason: 'INVALID_VARIABLES', message: 'must be a string' });
    else if (Buffer.byteLength(value, 'utf8') > MAX_VARIABLE_VALUE_BYTES)
      issues.push({
        field: at,
        reason: 'INVALID_VARIABLES',
        message: `is longer than ${MAX_VARIABLE_VALUE_BYTES} bytes`,
      });
  }
  if (total > MAX_REQUEST_VARIABLES_BYTES) {
    issues.push({
      field,
      reason: 'INVALID_VARIABLES',
      message: `hold ${total} bytes of names and values, at most ${MAX_REQUEST_VARIABLES_BYTES} allowed`,
    });
  }
  return issues;
}

/** Checks the `variables` of a create request (no `voipbin.` keys, ≤ 100 keys, ≤ 32 KiB a value, ≤ 48 KiB in all); throws `ValidationError`. */
export function validateRequestVariables(
  variables: Readonly<Record<string, unknown>>,
  field = 'variables',
): Record<string, string> {
  const issues = variableIssues(variables, field);
  if (issues.length > 0) throw new ValidationError(issues);
  return { ...(variables as Record<string, string>) };
}

/** The variables callbin sets for an activeflow when it is created. */
export function initialVariables(ids: {
  activeflowId: string;
  flowId: string;
  callId: string;
}): Record<string, string> {
  return {
    'voipbin.call.id': ids.callId,
    'voipbin.call.direction': '',
    'voipbin.call.source.target': '',
    'voipbin.call.source.target_name': '',
    'voipbin.call.destination.target': '',
    'voipbin.call.master_call_id': '',
    [DIGITS_VARIABLE]: '',
    'voipbin.activeflow.id': ids.activeflowId,
    'voipbin.flow.id': ids.flowId,
  };
}

/** The call variables, read from the call when its activeflow starts (the call row exists by then). */
export function callVariables(call: Call): Record<string, string> {
  return {
    'voipbin.call.id': call.id,
    'voipbin.call.direction': call.direction,
    'voipbin.call.source.target': call.source.target,
    'voipbin.call.source.target_name': call.source.target_name,
    'voipbin.call.destination.target': call.destination.target,
    'voipbin.call.master_call_id': call.master_call_id,
  };
}
