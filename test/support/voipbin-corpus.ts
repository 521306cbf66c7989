import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { ErrorEnvelope } from '../../src/api/responses/index.ts';
import { servedSchema, strictProblems } from '../../src/api/responses/testing/strict-schema.ts';
import type { OpenapiDocument } from '../../src/api/responses/testing/strict-schema.ts';

/** One request of the corpus (test/fixtures/voipbin-corpus/requests.json). */
export interface CorpusRequest {
  op: string;
  body?: unknown;
  query?: string;
  save?: Record<string, string>;
  until?: Record<string, string>;
  added?: boolean;
  websocket?: boolean;
  binary?: string;
  differs?: { status: number; line: string };
}

/** The corpus, in order. */
export function loadCorpus(): CorpusRequest[] {
  const url = new URL('../fixtures/voipbin-corpus/requests.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { requests: CorpusRequest[] }).requests;
}

/** The lines of docs/voipbin-compatibility.md with runs of white space as one space. */
export function compatibilityText(): string {
  const url = new URL('../../docs/voipbin-compatibility.md', import.meta.url);
  return readFileSync(url, 'utf8').replace(/\s+/g, ' ');
}

/** The value at a dotted path (`calls.0.id`). */
export function at(value: unknown, path: string): unknown {
  let node = value;
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

/** `{{name}}` in every string of `value` replaced by the saved id. */
export function fill(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string')
    return value.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
      assert.ok(vars[k] !== undefined, `nothing saved as ${k}`);
      return vars[k] as string;
    });
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
}

/** The method, the concrete path and the path as `/openapi.json` names it (`/v1.0/calls/{id}`). */
export function resolveOp(
  op: string,
  vars: Record<string, string>,
): { method: string; path: string; documented: string } {
  const [method, template] = op.split(' ') as [string, string];
  const path = template.replace(/\{(\w+)\}/g, (_m, k: string) => {
    assert.ok(vars[k] !== undefined, `nothing saved as ${k} for ${op}`);
    return vars[k] as string;
  });
  return { method, path: `/v1.0${path}`, documented: `/v1.0${template.replace(/\{\w+\}/g, '{id}')}` };
}

/**
 * Why `body` does not fit the strict copy of the schema served for the answer (the error envelope
 * for a route not served); undefined when it fits.
 */
export function shapeProblem(
  doc: OpenapiDocument,
  method: string,
  documented: string,
  status: number,
  body: unknown,
): string | undefined {
  const served = servedSchema(doc, method, documented, status);
  const schema = served ?? (status >= 400 && !doc.paths[documented] ? ErrorEnvelope : undefined);
  if (schema === undefined) return `${method} ${documented} serves no schema for ${status}`;
  const problems = strictProblems(schema, body);
  if (problems.length === 0) return undefined;
  return `${method} ${documented} ${status}: ${problems.join('; ')} in ${JSON.stringify(body).slice(0, 300)}`;
}

/** Opens a WebSocket, sends `message` (if any) and collects what arrives until `enough` holds or 10 s pass. */
export async function wsExchange(
  url: string,
  message: unknown,
  enough: (got: { text: string[]; binary: Buffer[] }) => boolean,
): Promise<{ text: string[]; binary: Buffer[]; closeCode: number | undefined }> {
  const socket = new WebSocket(url);
  const got = { text: [] as string[], binary: [] as Buffer[] };
  let closeCode: number | undefined;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer on ${url} within 10 s`)), 10_000);
    socket.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    socket.on('error', reject);
    socket.on('open', () => {
      if (message !== undefined) socket.send(JSON.stringify(message));
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) got.binary.push(data as Buffer);
      else got.text.push(String(data));
      if (enough(got)) {
        clearTimeout(timer);
        resolve();
      }
    });
    socket.on('close', (code) => {
      closeCode = code;
      clearTimeout(timer);
      resolve();
    });
  });
  socket.close();
  return { ...got, closeCode };
}
