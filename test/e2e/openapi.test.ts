import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import openapiTS from 'openapi-typescript';
import type { OpenapiDocument } from '../../src/api/responses/testing/strict-schema.ts';
import { startTestCallbin } from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const TSC = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));

type Operation = {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  'x-websocket'?: unknown;
};

/** A client of the generated `paths` types: it compiles only if the answers have types. */
const CLIENT = `import type { paths } from './api';

type Json<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

type CreateFlowBody = paths['/v1.0/flows']['post']['requestBody'] extends { content: { 'application/json': infer B } } ? B : never;
type Flow = Json<'/v1.0/flows', 'post', 200>;
type Created = Json<'/v1.0/calls', 'post', 200>;
type Call = Json<'/v1.0/calls/{id}', 'get', 200>;
type Failure = Json<'/v1.0/calls/{id}', 'get', 404>;

async function call<T>(base: string, key: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as T;
}

export async function dialAndRead(base: string, key: string): Promise<string> {
  const flowBody: CreateFlowBody = { name: 'typed', actions: [{ type: 'answer' }] };
  const flow = await call<Flow>(base, key, 'POST', '/v1.0/flows', flowBody);
  const flowId: string = flow.id;
  const created = await call<Created>(base, key, 'POST', '/v1.0/calls', {
    source: { type: 'tel', target: '+15550001000' },
    destinations: [{ type: 'tel', target: '+15550002000' }],
    flow_id: flowId,
  });
  const first = created.calls[0];
  if (first === undefined) return 'none';
  const read = await call<Call | Failure>(base, key, 'GET', '/v1.0/calls/' + first.id);
  if ('error' in read) return read.error.reason;
  const status: 'dialing' | 'ringing' | 'progressing' | 'terminating' | 'canceling' | 'hangup' = read.status;
  const reason: string = read.hangup_reason;
  const tmCreate: string = read.tm_create;
  return status + ' ' + reason + ' ' + tmCreate;
}

// The answers are typed: a field no schema lists is a compile error, and so is a wrong type.
// @ts-expect-error no such field on a call
type NoSuchField = Call['no_such_field'];
// @ts-expect-error status is a string union, not a number
const wrongType: Call['status'] = 3;
export type { NoSuchField };
export { wrongType };
`;

describe('openapi: every operation of /openapi.json has its answer described, and a generated client type-checks', () => {
  let cb: TestCallbin;
  let doc: OpenapiDocument & { openapi: string };

  before(async () => {
    cb = await startTestCallbin();
    const res = await fetch(`${cb.handle.apiUrl}/openapi.json`);
    assert.equal(res.status, 200);
    doc = (await res.json()) as typeof doc;
  });
  after(async () => cb?.close());

  it('every served operation has a 2xx JSON (or binary) answer schema, or 101 for a WebSocket upgrade; the errors carry the envelope', () => {
    const missing: string[] = [];
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods as Record<string, Operation>)) {
        operations++;
        const responses = op.responses ?? {};
        const ok = Object.entries(responses).filter(([s]) => /^2\d\d$/.test(s));
        const described = ok.some(([, r]) => Object.values(r.content ?? {}).some((c) => c.schema !== undefined));
        const upgrade = responses['101'] !== undefined && op['x-websocket'] !== undefined;
        if (!described && !upgrade) missing.push(`${method.toUpperCase()} ${path}`);
        for (const [status, r] of Object.entries(responses)) {
          if (!/^[45]\d\d$/.test(status) || (path.endsWith('/recordingfiles/{id}') && status === '416')) continue;
          const schema = r.content?.['application/json']?.schema as
            | { properties?: Record<string, unknown> }
            | undefined;
          if (!schema?.properties?.error) missing.push(`${method.toUpperCase()} ${path} ${status}: no error envelope`);
        }
      }
    }
    console.log(`openapi: ${operations} operations, ${missing.length} without an answer schema`);
    assert.deepEqual(missing, [], 'operations whose answers /openapi.json does not describe');
    assert.ok(operations >= 100, `${operations} operations served`);
  });

  it('documents the WebSocket upgrades /ws and /calls/{id}/media_stream with their messages', () => {
    const ws = doc.paths['/v1.0/ws']?.get as Operation & { parameters?: { name: string }[] };
    assert.ok(ws?.responses?.['101'], 'GET /v1.0/ws answers 101');
    assert.deepEqual(
      (ws.parameters ?? []).map((p) => p.name),
      ['last_event_id', 'accesskey', 'token'],
    );
    const messages = ws['x-websocket'] as { client: Record<string, unknown>; server: Record<string, unknown> };
    assert.deepEqual(Object.keys(messages.client), ['subscribe']);
    assert.deepEqual(Object.keys(messages.server), ['event', 'acknowledgement', 'error']);
    const media = doc.paths['/v1.0/calls/{id}/media_stream']?.get as Operation;
    assert.ok(media?.responses?.['101'] && media['x-websocket'], 'GET /v1.0/calls/{id}/media_stream is documented');
    assert.equal(doc.openapi, '3.0.3');
    assert.doesNotMatch(JSON.stringify(doc), /"type":"null"/, 'OpenAPI 3.0 has no null type: nullable is used');
  });

  it('openapi-typescript generates types from the served document, and a typed client compiles with tsc', async () => {
    const types = await openapiTS(doc as never);
    assert.match(types, /hangup_reason: "" \| "normal"/, 'the call answer is typed');
    const dir = await mkdtemp(join(tmpdir(), 'callbin-openapi-client-'));
    try {
      await writeFile(join(dir, 'api.d.ts'), types);
      await writeFile(join(dir, 'client.ts'), CLIENT);
      const tsconfig = {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'es2022',
          module: 'esnext',
          moduleResolution: 'bundler',
          lib: ['es2022', 'dom'],
          types: [],
          skipLibCheck: false,
        },
        files: ['client.ts'],
      };
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
      const run = spawnSync(process.execPath, [TSC, '--noEmit', '-p', dir], { encoding: 'utf8' });
      assert.equal(run.status, 0, `tsc failed on the generated client:\n${run.stdout}${run.stderr}`);
      // The check can fail: a client reading a field the call answer lacks does not compile.
      await writeFile(join(dir, 'client.ts'), `${CLIENT}\nexport const broken = (c: Call) => c.no_such_field;\n`);
      const broken = spawnSync(process.execPath, [TSC, '--noEmit', '-p', dir], { encoding: 'utf8' });
      assert.notEqual(broken.status, 0, 'tsc refuses a field the generated call type lacks');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
