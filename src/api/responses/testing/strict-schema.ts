import { Compile } from 'typebox/compile';

/*
 * Strict copies of served response schemas for tests (docs/api.md "Response schemas"): the served
 * schemas are open so no field is ever lost; a test validates an answer against a copy where every
 * object refuses a field it does not list, so a field missing from a schema is caught.
 */

type Node = Record<string, unknown>;

/**
 * A strict copy of a schema of `/openapi.json`: `additionalProperties: false` on every object that
 * lists its fields and is not marked `x-open`, and OpenAPI 3.0's `nullable: true` as a union with `null`.
 */
export function strictSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'example' ? v : strictSchema(v);
  // An object that lists fields is closed; a map (no `properties`) or one marked `x-open` stays open.
  if (out.type === 'object' && out.properties !== undefined && out['x-open'] !== true) out.additionalProperties = false;
  if (out.nullable === true) {
    const { nullable: _nullable, description: _description, ...rest } = out;
    return { anyOf: [rest, { type: 'null' }] };
  }
  return out;
}

/** The problems of `value` against the strict copy of `schema`, as `path: message` lines; [] when it fits. */
export function strictProblems(schema: unknown, value: unknown): string[] {
  const check = Compile(strictSchema(schema) as never);
  if (check.Check(value)) return [];
  const problems: string[] = [];
  for (const e of check.Errors(value) as Iterable<{ instancePath: string; message: string; params: unknown }>) {
    problems.push(`${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`);
    if (problems.length >= 10) break;
  }
  return problems;
}

/** An OpenAPI document as the tests read it. */
export interface OpenapiDocument {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>
  >;
}

/** The JSON schema `/openapi.json` serves for one answer of an operation (`path` in OpenAPI form, `/v1.0/calls/{id}`). */
export function servedSchema(doc: OpenapiDocument, method: string, path: string, status: number): unknown {
  return doc.paths[path]?.[method.toLowerCase()]?.responses?.[String(status)]?.content?.['application/json']?.schema;
}
