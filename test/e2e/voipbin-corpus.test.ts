import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { strictProblems } from '../../src/api/responses/testing/strict-schema.ts';
import type { OpenapiDocument } from '../../src/api/responses/testing/strict-schema.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import { startSippProvider, startTestCallbin } from '../support/callbin.ts';
import type { ApiResponse, TestCallbin } from '../support/callbin.ts';
import {
  at,
  compatibilityText,
  fill,
  loadCorpus,
  resolveOp,
  shapeProblem,
  wsExchange,
} from '../support/voipbin-corpus.ts';
import type { CorpusRequest } from '../support/voipbin-corpus.ts';

type Operation = { 'x-websocket'?: { server: Record<string, unknown> } };

describe('VoIPBIN corpus: every in-scope VoIPBIN operation, in its documented form, against a live callbin', () => {
  let cb: TestCallbin;
  let sipp: SippProcess;
  let sippPort: number;
  let doc: OpenapiDocument;
  let key: string;

  before(async () => {
    cb = await startTestCallbin();
    // The carrier of every outgoing call: answers each INVITE and waits for the BYE.
    const provider = await startSippProvider('uas', ['-m', '10']);
    sipp = provider.sipp;
    sippPort = provider.port;
    doc = (await (await fetch(`${cb.handle.apiUrl}/openapi.json`)).json()) as OpenapiDocument;
    key = cb.handle.admin?.accessKey ?? '';
    assert.ok(key);
  });
  after(async () => {
    await sipp?.stop();
    await cb?.close();
  });

  /** Polls a GET until each dotted field of `until` has its value; returns the last answer. */
  async function poll(path: string, until: Record<string, string>): Promise<ApiResponse> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await cb.api('GET', path);
      const done = res.status === 200 && Object.entries(until).every(([f, v]) => at(res.body, f) === v);
      if (done || Date.now() > deadline) {
        assert.ok(
          done,
          `GET ${path} did not reach ${JSON.stringify(until)}: ${JSON.stringify(res.body).slice(0, 400)}`,
        );
        return res;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function upgrade(r: CorpusRequest, vars: Record<string, string>, path: string, documented: string) {
    const op = doc.paths[documented]?.get as Operation | undefined;
    assert.ok(op?.['x-websocket'], `${documented} is documented as a WebSocket`);
    const base = cb.handle.apiUrl.replace(/^http/, 'ws');
    const url = `${base}${path}?accesskey=${encodeURIComponent(key)}${r.query ? `&${r.query}` : ''}`;
    if (r.body === undefined) {
      // The listening socket: binary frames of 20 ms of the call's audio.
      const got = await wsExchange(url, undefined, (g) => g.binary.length >= 3);
      assert.ok(got.binary.length >= 3, `frames heard: ${got.binary.length}, close ${got.closeCode}`);
      assert.ok(
        got.binary.every((f) => f.length === 172),
        'each rtp frame is a 12-byte header and 160 µ-law bytes',
      );
      return;
    }
    const got = await wsExchange(url, fill(r.body, vars), (g) => g.text.length >= 1);
    const ack = JSON.parse(got.text[0] ?? '{}');
    assert.equal(ack.type, 'subscribed', got.text[0]);
    assert.deepEqual(strictProblems(op['x-websocket'].server.acknowledgement, ack), []);
  }

  it('answers each request as VoIPBIN documents it (no 400), each answer fits its served schema strictly', async () => {
    const vars: Record<string, string> = { sipp_port: String(sippPort) };
    const compat = compatibilityText();
    const notServed: string[] = [];
    const differs: string[] = [];
    // Answers that do not fit their schema, all listed at the end rather than the first alone.
    const misfits: string[] = [];
    // Different answers whose reason docs/voipbin-compatibility.md does not give.
    const unexplained: string[] = [];
    let sent = 0;
    for (const r of loadCorpus()) {
      const { method, path, documented } = resolveOp(r.op, vars);
      if (r.added && !doc.paths[documented]?.[method.toLowerCase()]) {
        notServed.push(r.op);
        continue;
      }
      sent++;
      if (r.differs) {
        const line = r.differs.line.replace(/\s+/g, ' ');
        if (!compat.includes(line)) unexplained.push(`${r.op}: ${line}`);
        differs.push(`${r.op} → ${r.differs.status}`);
      }
      if (r.websocket) {
        await upgrade(r, vars, path, documented);
        continue;
      }
      if (r.binary) {
        const res = await fetch(`${cb.handle.apiUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
        const bytes = Buffer.from(await res.arrayBuffer());
        assert.equal(res.status, 200, bytes.toString().slice(0, 300));
        assert.equal(res.headers.get('content-type'), r.binary);
        // A split call recording is a zip of its two WAVs; a single file is the WAV itself.
        assert.equal(bytes.subarray(0, 4).toString('latin1'), r.binary === 'audio/wav' ? 'RIFF' : 'PK\x03\x04');
        continue;
      }
      const body = r.body === undefined ? undefined : fill(r.body, vars);
      const query = r.query ? `?${r.query}` : '';
      const res = r.until ? await poll(path, r.until) : await cb.api(method, `${path}${query}`, body);
      const expected = r.differs?.status ?? 200;
      assert.equal(res.status, expected, `${r.op}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
      const misfit = shapeProblem(doc, method, documented, res.status, res.body);
      if (misfit) misfits.push(misfit);
      for (const [name, field] of Object.entries(r.save ?? {})) {
        const id = at(res.body, field);
        assert.equal(typeof id, 'string', `${r.op}: no ${field} to save as ${name}`);
        vars[name] = id as string;
      }
    }
    console.log(
      `voipbin corpus: ${sent} requests sent, ${differs.length} answered otherwise on purpose, ${notServed.length} not served yet`,
    );
    for (const d of differs) console.log(`  differs: ${d}`);
    for (const n of notServed) console.log(`  not served yet: ${n}`);
    assert.deepEqual(misfits, [], 'answers that do not fit the strict copy of their served schema');
    assert.deepEqual(unexplained, [], 'answers otherwise than VoIPBIN with no line of docs/voipbin-compatibility.md');
    assert.ok(sent >= 70, `${sent} requests sent`);
  });
});
