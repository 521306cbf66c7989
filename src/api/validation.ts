import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { ValidationError, isErrorCode, type ErrorCode, type FieldIssue } from '../shared/index.ts';

/** Turn a JSON pointer (`/destinations/0/target`) into a field path (`destinations[0].target`). */
export function pointerToField(prefix: string, pointer: string): string {
  let out = prefix;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

function schemaAt(root: TSchema, schemaPath: string): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/')) {
    if (raw === '') continue;
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : undefined;
}

const KEYWORD_REASON: Record<string, ErrorCode> = {
  additionalProperties: 'UNKNOWN_FIELD',
  required: 'MISSING_FIELD',
  type: 'INVALID_TYPE',
  pattern: 'INVALID_FORMAT',
  format: 'INVALID_FORMAT',
  enum: 'INVALID_VALUE',
  const: 'INVALID_VALUE',
  anyOf: 'INVALID_VALUE',
  minLength: 'TOO_SHORT',
  maxLength: 'TOO_LONG',
  minItems: 'TOO_FEW_ITEMS',
  maxItems: 'TOO_MANY_ITEMS',
  minimum: 'OUT_OF_RANGE',
  maximum: 'OUT_OF_RANGE',
  exclusiveMinimum: 'OUT_OF_RANGE',
  exclusiveMaximum: 'OUT_OF_RANGE',
};

interface TbError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** Convert TypeBox errors to field issues; a schema node's `x-reason` overrides the keyword's reason. */
export function toIssues(schema: TSchema, prefix: string, errors: Iterable<TbError>, value: unknown): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'boolean') continue; // reported again as additionalProperties on the parent
    let field = pointerToField(prefix, e.instancePath);
    let reason: ErrorCode = KEYWORD_REASON[e.keyword] ?? 'INVALID_VALUE';
    let message = e.message;
    if (e.keyword === 'additionalProperties') {
      const extra = (e.params.additionalProperties as string[] | undefined) ?? [];
      field = pointerToField(prefix, `${e.instancePath}/${extra[0] ?? ''}`);
      message = `unknown field ${JSON.stringify(extra[0] ?? '')}`;
    } else if (e.keyword === 'required') {
      const missing = (e.params.requiredProperties as string[] | undefined) ?? [];
      field = pointerToField(prefix, `${e.instancePath}/${missing[0] ?? ''}`);
      message = 'is required';
    } else {
      const node = schemaAt(schema, e.schemaPath);
      if (node && isErrorCode(node['x-reason'])) reason = node['x-reason'];
      if (node && typeof node['x-message'] === 'string') message = node['x-message'];
      const got = pick(value, e.instancePath);
      if (got !== undefined && typeof got !== 'object') message = `${JSON.stringify(got)} ${message}`;
    }
    const key = `${field}|${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ field: field || prefix || 'body', reason, message });
  }
  return issues;
}

function pick(value: unknown, pointer: string): unknown {
  let node = value;
  for (const part of pointer.split('/').slice(1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** A compiled validator that throws ValidationError with field paths; `coerce` converts strings first (querystrings). */
export function compileValidator(schema: TSchema, prefix: string, coerce: boolean): (data: unknown) => unknown {
  const compiled = Compile(schema);
  return (data) => {
    // Most requests are already right; converting (a deep copy) only when needed keeps GETs cheap.
    if (compiled.Check(data)) return data;
    const value = coerce ? Value.Convert(schema, data) : data;
    if (coerce && compiled.Check(value)) return value;
    const issues = toIssues(schema, prefix, compiled.Errors(value) as Iterable<TbError>, value);
    throw new ValidationError(
      issues.length > 0 ? issues : [{ field: prefix || 'body', reason: 'INVALID_ARGUMENT', message: 'is invalid' }],
    );
  };
}

/** How deep a request body's arrays and objects may nest; real bodies (flows included) stay under 10. */
export const MAX_BODY_DEPTH = 64;

/**
 * Whether JSON text nests arrays/objects deeper than `max`, found by one scan of the text before
 * it is parsed: a body nested thousands deep would otherwise overflow the stack of the schema
 * check, of copies and of `JSON.stringify` when stored. Brackets inside strings do not count;
 * malformed text is left for the parser to reject.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
