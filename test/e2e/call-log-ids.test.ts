import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { redactingLoggerOptions } from '../../src/api/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startCallbin, type CallbinHandle } from '../../src/main.ts';
import type { Logger } from '../../src/shared/index.ts';
import { RtpProbe } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  apiCall,
  createNumberWithFlow,
  createProvider,
  createRoute,
  expectStatus,
  startSippCaller,
  startSippProvider,
  waitForCall,
  waitForListedCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** One JSON log line as pino wrote it. */
type LogLine = Record<string, unknown> & { msg?: string; module?: string };

/**
 * Lines of modules that know no call by design (docs/architecture.md "Dependency rules": `sip/` is
 * a protocol layer), or that serve the whole process rather than one call. Every other line written
 * while a call runs is about that call and must carry its `call_id` (docs/timeline.md "Joining logs").
 */
const PROCESS_MODULES = new Set(['sip', 'provider-health', 'http']);

/** Callbin in this process with a pino logger at debug level that keeps every line (the same options main.ts uses). */
async function startLoggedCallbin(): Promise<{ cb: TestCallbin; lines: LogLine[]; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callbin-logs-'));
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  const logger = pino({ level: 'debug', ...redactingLoggerOptions() }, sink) as unknown as Logger;
  const min = 20_000 + 2 * Math.floor(Math.random() * 9_900);
  const config = loadConfig(
    {},
    {
      dataDir,
      httpHost: '127.0.0.1',
      httpPort: 0,
      sipHost: '127.0.0.1',
      sipPort: 0,
      logLevel: 'debug',
      rtpPortMin: min,
      rtpPortMax: min + 199,
    },
  );
  const handle: CallbinHandle = await startCallbin(config, { logger });
  const key = handle.admin?.accessKey;
  assert.ok(key, 'the first start creates the project admin');
  const cb: TestCallbin = {
    handle,
    store: handle.store,
    sipPort: handle.sip.address.port,
    api: (method, path, body) => apiCall(handle.apiUrl, key, method, path, body),
    close: () => handle.close(),
  };
  return { cb, lines, dataDir };
}

/** The lines from `from` on that are about a call but lack `call_id`, as `level msg {fields}` for the failure message. */
function linesWithoutCallId(lines: readonly LogLine[], from: number): string[] {
  return lines
    .slice(from)
    .filter((l) => l.call_id === undefined && !PROCESS_MODULES.has(String(l.module)))
    .map((l) => JSON.stringify(l));
}

describe('log lines of a call carry its call_id', () => {
  let cb: TestCallbin;
  let lines: LogLine[];
  let dataDir: string;
  let receiver: WebhookReceiver;
  const sipps: SippProcess[] = [];
  const probes: RtpProbe[] = [];

  before(async () => {
    ({ cb, lines, dataDir } = await startLoggedCallbin());
    receiver = await WebhookReceiver.start();
    expectStatus(
      await cb.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      200,
    );
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(probes.map((p) => p.close()));
    await cb.close();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  });

  it('an incoming call with [answer, fetch, talk, hangup] and failing webhooks: every line about it has call_id', async () => {
    // The first webhook request fails (a retry is logged), and the fetch fails (an action error is logged).
    let first = true;
    receiver.respondWith((req) => {
      if (req.path === '/fetch') return 503;
      const status = first ? 503 : 200;
      first = false;
      return status;
    });
    await createProvider(cb, 5999);
    await createNumberWithFlow(cb, '+15550007100', [
      { type: 'answer' },
      { type: 'fetch', option: { event_url: receiver.url('/fetch'), event_method: 'POST' } },
      { type: 'talk', option: { text: 'hello', language: 'en-US' } },
      { type: 'hangup' },
    ]);
    const from = lines.length;
    const probe = await RtpProbe.open();
    probes.push(probe);
    const sipp = await startSippCaller(cb, 'calls-uac-incoming.xml', '+15550007100', {
      keys: { rtp_port: String(probe.port) },
    });
    sipps.push(sipp);
    const ended = await waitForListedCall(cb, (c) => c.direction === 'incoming' && c.status === 'hangup', 30_000);
    await receiver.waitFor(
      (r) => r.delivered.some((h) => h.json?.type === 'call_hangup' && h.json?.data?.id === ended.id),
      30_000,
      'call_hangup delivered',
    );
    assert.deepEqual(linesWithoutCallId(lines, from), [], 'lines written while the call ran, without call_id');
    const mine = lines.slice(from).filter((l) => l.call_id === ended.id);
    const said = (msg: string) => mine.filter((l) => l.msg?.startsWith(msg));
    assert.equal(said('flow action failed')[0]?.activeflow_id, ended.activeflow_id, 'the activeflow line has both ids');
    assert.ok(said('webhook attempt failed').length >= 1, 'the failed delivery is logged with the call id');
    assertMentionsCarryCallId(lines.slice(from), ended.id);
  });

  it('an outgoing call answered by a provider: the dialer and its legs log with call_id', async () => {
    receiver.respondWith(() => 200);
    const probe = await RtpProbe.open();
    probes.push(probe);
    const provider = await startSippProvider('e2e-uas-answer-probe-bye.xml', ['-key', 'rtp_port', String(probe.port)]);
    sipps.push(provider.sipp);
    const providerId = await createProvider(cb, provider.port);
    await createRoute(cb, providerId, 1, '+1');
    const from = lines.length;
    const created = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+15550002000' }],
        actions: [
          { type: 'talk', option: { text: 'hello', language: 'en-US' } },
          { type: 'sleep', option: { duration: 20_000 } },
        ],
      }),
      200,
    );
    const id = created.calls[0].id as string;
    await waitForCall(cb, id, (c) => c.status === 'hangup');
    assert.equal((await provider.sipp.exited).code, 0, 'sipp saw INVITE, ACK and the 200 to its BYE');
    await receiver.waitFor(
      (r) => r.delivered.some((h) => h.json?.type === 'call_hangup' && h.json?.data?.id === id),
      30_000,
      'call_hangup delivered',
    );
    assert.deepEqual(linesWithoutCallId(lines, from), [], 'lines written while the call ran, without call_id');
    assert.ok(
      lines.slice(from).some((l) => l.call_id === id && l.msg === 'ringing'),
      'the dialer logged the 180 with the call id',
    );
    assertMentionsCarryCallId(lines.slice(from), id);
  });
});

/** Every line whose text names the call (in a message or any field) carries `call_id` as a field. */
function assertMentionsCarryCallId(lines: readonly LogLine[], callId: string): void {
  const bare = lines.filter((l) => l.call_id === undefined && JSON.stringify(l).includes(callId));
  assert.deepEqual(
    bare.map((l) => JSON.stringify(l)),
    [],
    'lines naming the call without a call_id field',
  );
}
