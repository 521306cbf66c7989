import type { TSchema } from 'typebox';
import { childField } from './schema-issues.ts';

/** The code-level checks a schema node can ask for with its `x-check` keyword. */
export type ValueCheck = 'address' | 'action-ref' | 'action-ref-or-unset' | 'timezone' | 'language' | 'actions';

/** One value whose schema carries an `x-check`, with its field path. */
export interface MarkedValue {
  check: ValueCheck;
  value: unknown;
  field: string;
  /** Keys and indexes from the walked root down to the value. */
  path: readonly (string | number)[];
}

type SchemaNode = Record<string, unknown>;

function isNode(value: unknown): value is SchemaNode {
  return value !== null && typeof value === 'object';
}

function propertySchema(schema: SchemaNode, key: string): unknown {
  const properties = schema['properties'];
  if (isNode(properties) && Object.hasOwn(properties, key)) return properties[key];
  const patterns = schema['patternProperties'];
  if (!isNode(patterns)) return undefined;
  const match = Object.keys(patterns).find((pattern) => new RegExp(pattern, 'u').test(key));
  return match === undefined ? undefined : patterns[match];
}

function walk(schema: unknown, value: unknown, field: string, path: (string | number)[], out: MarkedValue[]): void {
  if (!isNode(schema) || value === undefined) return;
  const check = schema['x-check'];
  if (typeof check === 'string') out.push({ check: check as ValueCheck, value, field, path });
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(schema['items'], item, childField(field, index, true), [...path, index], out));
  } else if (isNode(value)) {
    for (const [key, child] of Object.entries(value)) {
      walk(propertySchema(schema, key), child, childField(field, key, false), [...path, key], out);
    }
  }
}

/**
 * Every value inside `value` whose schema node asks for a code-level check (`x-check`), in document
 * order; the checks a plain JSON Schema cannot express (E.164 per address type, action ids of the
 * same list, real IANA zones) run on these.
 */
export function markedValues(schema: TSchema, value: unknown, field: string): MarkedValue[] {
  const out: MarkedValue[] = [];
  walk(schema, value, field, [], out);
  return out;
}
