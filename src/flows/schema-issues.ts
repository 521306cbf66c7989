import type { TSchema } from 'typebox';
import type { Validator } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { isErrorCode } from '../shared/index.ts';
import type { ErrorCode, FieldIssue } from '../shared/index.ts';

/** Reason of a schema failure when no enclosing schema names a dedicated one with `x-reason`. */
export const DEFAULT_SCHEMA_REASON: ErrorCode = 'INVALID_ACTION';

type SchemaNode = Record<string, unknown>;

const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SHOWN_VALUE_MAX_CHARS = 80;

/** Appends one key or index to a field path (`a.b`, `a[0]`, `a["1"]`). */
export function childField(field: string, key: string | number, parentIsArray: boolean): string {
  if (parentIsArray || typeof key === 'number') return `${field}[${key}]`;
  return IDENTIFIER_RE.test(key) ? `${field}.${key}` : `${field}[${JSON.stringify(key)}]`;
}

/** A value as shown inside an error message: JSON, cut short. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > SHOWN_VALUE_MAX_CHARS ? `${text.slice(0, SHOWN_VALUE_MAX_CHARS - 1)}…` : text;
}

function pointerSegments(pointer: string): string[] {
  const body = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  if (body === '' || body === '/') return [];
  return body
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Walks the instance path; returns the field path and the value found there. */
function locate(root: unknown, instancePath: string, prefix: string): { field: string; value: unknown } {
  let field = prefix;
  let value: unknown = root;
  for (const segment of pointerSegments(instancePath)) {
    const isArray = Array.isArray(value);
    field = childField(field, segment, isArray);
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return { field, value };
}

/** The schema node at a schema path and the innermost `x-reason` met on the way down. */
function resolveSchema(root: TSchema, schemaPath: string): { node: SchemaNode | undefined; reason: ErrorCode } {
  let node: unknown = root;
  let reason = reasonOf(node) ?? DEFAULT_SCHEMA_REASON;
  for (const segment of pointerSegments(schemaPath)) {
    if (node === null || typeof node !== 'object') return { node: undefined, reason };
    node = (node as SchemaNode)[segment];
    reason = reasonOf(node) ?? reason;
  }
  return { node: node !== null && typeof node === 'object' ? (node as SchemaNode) : undefined, reason };
}

function reasonOf(node: unknown): ErrorCode | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const reason = (node as SchemaNode)['x-reason'];
  return isErrorCode(reason) ? reason : undefined;
}

const ARTICLE: Record<string, string> = { object: 'an object', array: 'an array', integer: 'an integer' };

function describeFailure(error: TLocalizedValidationError, value: unknown, node: SchemaNode | undefined): string {
  const shown = showValue(value);
  switch (error.keyword) {
    case 'type':
      return `${shown} is not ${ARTICLE[String(error.params.type)] ?? `a ${String(error.params.type)}`}`;
    case 'enum':
      return `${shown} is not one of ${error.params.allowedValues.map((v) => showValue(v)).join(', ')}`;
    case 'const':
      return `${shown} is not ${showValue(error.params.allowedValue)}`;
    case 'pattern':
    case 'format': {
      const expected =
        typeof node?.['description'] === 'string'
          ? node['description']
          : `a value matching ${String(node?.['pattern'] ?? error.keyword)}`;
      return `${shown} is not valid: expected ${expected}`;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${shown} is out of range: it must be ${error.params.comparison} ${String(error.params.limit)}`;
    case 'minLength':
      return `${shown} is too short: at least ${error.params.limit} characters`;
    case 'maxLength':
      return `${shown} is too long: at most ${error.params.limit} characters`;
    case 'minItems':
      return `has ${Array.isArray(value) ? value.length : 0} items, at least ${error.params.limit} required`;
    case 'maxItems':
      return `has ${Array.isArray(value) ? value.length : 0} items, at most ${error.params.limit} allowed`;
    case 'maxProperties':
      return `has too many entries: at most ${error.params.limit} allowed`;
    case 'uniqueItems':
      return `${shown} contains duplicates`;
    default:
      return `${shown}: ${error.message}`;
  }
}

function allowedKeys(node: SchemaNode | undefined): string {
  const properties = node?.['properties'];
  const keys = properties !== null && typeof properties === 'object' ? Object.keys(properties) : [];
  return keys.length > 0 ? `allowed: ${keys.join(', ')}` : 'no fields are allowed here';
}

function issuesOfError(schema: TSchema, root: unknown, prefix: string, error: TLocalizedValidationError): FieldIssue[] {
  const { node, reason } = resolveSchema(schema, error.schemaPath);
  const { field, value } = locate(root, error.instancePath, prefix);
  if (error.keyword === 'required') {
    return error.params.requiredProperties.map((key) => ({
      field: childField(field, key, false),
      reason,
      message: 'is required',
    }));
  }
  if (error.keyword === 'additionalProperties') {
    return error.params.additionalProperties.map((key) => ({
      field: childField(field, key, false),
      reason,
      message: `unknown field ${JSON.stringify(key)}; ${allowedKeys(node)}`,
    }));
  }
  return [{ field, reason, message: describeFailure(error, value, node) }];
}

/** True for the per-key echo of `additionalProperties: false`, already reported by the parent's error. */
function isAdditionalPropertyEcho(error: TLocalizedValidationError): boolean {
  return error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties');
}

/**
 * Validates `value` against `schema` and returns one issue per problem, each with a field path under
 * `prefix`, the innermost `x-reason` of the failing schema (else `INVALID_ACTION`) and a message
 * that shows the offending value.
 */
export function schemaIssues(schema: TSchema, validator: Validator, value: unknown, prefix: string): FieldIssue[] {
  if (validator.Check(value)) return [];
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const error of validator.Errors(value)) {
    if (isAdditionalPropertyEcho(error)) continue;
    for (const issue of issuesOfError(schema, value, prefix, error)) {
      const key = `${issue.field}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}
