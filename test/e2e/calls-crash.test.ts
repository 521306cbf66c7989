import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import { RtpProbe } from '../support/calls-harness.ts';
import {
  SilentPeer,
  apiCall,
  expectStatus,
  startSippCaller,
  startSippProvider,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { ApiResponse } from '../support/callbin.ts';
import { startCallbinProcess } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** A callbin child process and the API it printed. */
interface Child {
  process: RunningProcess;
  apiUrl: string;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  sipPort: number;
}

async function startChild(env: Record<string, string>, key: string, running: RunningProcess[]): Promise<Child> {
  const child = startCallbinProcess(env);
  running.push(child);
  const [, apiUrl] = await child.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
  const [, sipPort] = await child.waitFor(/SIP:\s+sip:[\d.]+:(\d+)/);
  return {
    process: child,
    apiUrl: apiUrl ?? '',
    sipPort: Number(sipPort),
    api: (method, path, body) => apiCall(apiUrl ?? '', key, method, path, body),
  };
}

/** A fresh data directory, an admin key and the environment of a callbin on loopback with ephemeral ports. */
async function crashSetup(): Promise<{ dataDir: string; key: string; env: Record<string, string> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'callbin-crash-'));
  const key = `vb_${randomBytes(24).toString('base64url')}`;
  const rtpMin = 20_000 + 2 * Math.floor(Math.random() * 9_900);
  const env = {
    CALLBIN_DATA_DIR: dataDir,
    CALLBIN_HTTP_HOST: '127.0.0.1',
    CALLBIN_HTTP_PORT: '0',
    CALLBIN_SIP_HOST: '127.0.0.1',
    CALLBIN_SIP_PORT: '0',
    CALLBIN_RTP_PORT_MIN: String(rtpMin),
    CALLBIN_RTP_PORT_MAX: String(rtpMin + 99),
    CALLBIN_ADMIN_KEY: key,
  };
  return { dataDir, key, env };
}

/** A POST with an `Idempotency-Key`; resolves with status, parsed body and whether it was a replay. */
async function postIdempotent(
  child: Child,
  key: string,
  path: string,
  body: unknown,
  idempotencyKey: string,
): Promise<{ status: number; body: any; replayed: boolean }> {
  const res = await fetch(`${child.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), replayed: res.headers.get('idempotent-replayed') === 'true' };
}

/** An HTTP server that takes requests and never answers them (a media URL whose fetch hangs). */
async function hangingServer(): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server = createServer(() => {
    hits++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slow.wav`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('calls e2e: crash safety of a real callbin process', () => {
  it('a call left progressing by a SIGKILLed process is hung up local/failed, with its call_hangup event, when callbin starts again', async () => {
    const { dataDir, key, env } = await crashSetup();
    const running: RunningProcess[] = [];
    const sipps: SippProcess[] = [];
    const probe = await RtpProbe.open();
    const peer = await SilentPeer.open();
    try {
      const first = await startChild(env, key, running);
      expectStatus(
        await first.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port: peer.port, name: 'trunk' }),
        200,
      );
      const flow = expectStatus(
        await first.api('POST', '/v1.0/flows', {
          name: 'hold',
          actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 60_000 } }],
        }),
        200,
      );
      expectStatus(await first.api('POST', '/v1.0/numbers', { number: '+15550005000', call_flow_id: flow.id }), 200);
      const caller = await startSippCaller({ sipPort: first.sipPort }, 'calls-uac-incoming.xml', '+15550005000', {
        keys: { rtp_port: String(probe.port) },
      });
      sipps.push(caller);
      const listed = await waitForListedCall(first, (c) => c.direction === 'incoming');
      const live = await waitForCall(first, listed.id, (c) => c.status === 'progressing');
      assert.equal(live.hangup_reason, '');

      first.process.child.kill('SIGKILL');
      assert.equal(await first.process.stop(), null, 'the process died of SIGKILL');

      const second = await startChild(env, key, running);
      const reconciled = expectStatus(await second.api('GET', `/v1.0/calls/${listed.id}`), 200);
      assert.equal(reconciled.status, 'hangup');
      assert.equal(reconciled.hangup_by, 'local');
      assert.equal(reconciled.hangup_reason, 'failed');
      assert.equal(typeof reconciled.tm_hangup, 'string');
      assert.equal(await second.process.stop(), 0, 'the restarted callbin stops cleanly on SIGTERM');

      const store = await openStore({ dataDir, clock: systemClock });
      try {
        const events = await store.outbox.listForResource('call', listed.id);
        assert.deepEqual(
          events.map((e) => e.seq),
          events.map((_, i) => i + 1),
          'seq runs 1..n across the restart',
        );
        const hangups = events.filter((e) => e.type === 'call_hangup');
        assert.equal(hangups.length, 1, 'exactly one call_hangup');
        assert.equal((hangups[0]?.data as { hangup_reason?: string }).hangup_reason, 'failed');
        assert.equal(events.at(-1)?.type, 'call_hangup');
      } finally {
        await store.close();
      }
    } finally {
      await Promise.all(running.map((p) => p.stop('SIGKILL')));
      await Promise.all(sipps.map((s) => s.stop()));
      await probe.close();
      await peer.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('AC3: 10 answered calls survive a kill -9 only as far as the restart, which BYEs all 10 far ends within 5 s; calls end at the last heartbeat; an in-flight Idempotency-Key is free; webhooks stay in order', async () => {
    const { dataDir, key, env } = await crashSetup();
    const running: RunningProcess[] = [];
    // sipp's built-in UAS: answers each INVITE 200 and then waits for the BYE and answers it 200.
    const provider = await startSippProvider('uas', ['-m', '10']);
    const receiver = await WebhookReceiver.start();
    const slow = await hangingServer();
    try {
      const first = await startChild(env, key, running);
      expectStatus(
        await first.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
        200,
      );
      const providerBody = expectStatus(
        await first.api('POST', '/v1.0/providers', {
          hostname: '127.0.0.1',
          port: provider.port,
          transport: 'udp',
          name: 'sipp',
        }),
        200,
      );
      expectStatus(
        await first.api('POST', '/v1.0/routes', { provider_id: providerBody.id, target: '+1', priority: 1 }),
        200,
      );
      const callIds: string[] = [];
      for (let i = 0; i < 10; i++) {
        const created = expectStatus(
          await first.api('POST', '/v1.0/calls', {
            source: { type: 'tel', target: '+15550001000' },
            destinations: [{ type: 'tel', target: `+1555000${String(2000 + i)}` }],
            actions: [{ type: 'sleep', option: { duration: 120_000 } }],
          }),
          200,
        );
        callIds.push(created.calls[0].id as string);
      }
      for (const id of callIds) await waitForCall(first, id, (c) => c.status === 'progressing');

      // A request in flight when the process dies: its Idempotency-Key is reserved, with no response.
      const idempotencyKey = randomUUID();
      const playPath = `/v1.0/calls/${callIds[0]}/play`;
      const playBody = { media_urls: [slow.url] };
      const inFlight = postIdempotent(first, key, playPath, playBody, idempotencyKey).catch(() => undefined);
      await until('the play request fetches its media', () => slow.hits() > 0);

      // Heartbeats are seconds apart: let one pass so the last one is clearly before the restart.
      await new Promise((r) => setTimeout(r, 6_000));
      first.process.child.kill('SIGKILL');
      assert.equal(await first.process.stop(), null, 'the process died of SIGKILL');
      await inFlight;
      const restartAt = Date.now();

      // The same SIP port as before, as a restarted server has: sipp answers the BYEs where its calls came from.
      const second = await startChild({ ...env, CALLBIN_SIP_PORT: String(first.sipPort) }, key, running);
      const readyAt = Date.now();
      const sipp = await Promise.race([
        provider.sipp.exited,
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000 + (readyAt - restartAt))),
      ]);
      assert.ok(
        sipp,
        `sipp got its 10 BYEs within 5 s of the restart's start-up (ready ${readyAt - restartAt} ms after spawn)`,
      );
      assert.equal(sipp.code, 0, `sipp ended its 10 calls successfully:\n${sipp.stdout.slice(-2000)}`);
      assert.match(sipp.stdout, /Successful call\s*\|\s*\d+\s*\|\s*10\s*$/m, 'sipp counts 10 successful calls');
      assert.match(sipp.stdout, /Failed call\s*\|\s*\d+\s*\|\s*0\s*$/m, 'and no failed one');

      for (const id of callIds) {
        const call = expectStatus(await second.api('GET', `/v1.0/calls/${id}`), 200);
        assert.deepEqual([call.status, call.hangup_by, call.hangup_reason], ['hangup', 'local', 'failed']);
        assert.ok(
          Date.parse(call.tm_hangup) < restartAt,
          `tm_hangup ${call.tm_hangup} is the last time the call was known alive, before the restart`,
        );
        assert.ok(call.tm_hangup >= call.tm_progressing, 'the call ends after it was answered');
      }

      const retried = await postIdempotent(second, key, playPath, playBody, idempotencyKey);
      assert.notEqual(
        retried.body?.error?.reason,
        'IDEMPOTENCY_KEY_IN_USE',
        'the key the killed process reserved is free',
      );
      assert.equal(retried.replayed, false, 'the handler ran again');
      const replay = await postIdempotent(second, key, playPath, playBody, idempotencyKey);
      assert.equal(replay.replayed, true, 'its answer is now the one replayed');
      assert.deepEqual([replay.status, replay.body], [retried.status, retried.body]);

      // Webhooks across the crash: every call's events arrive, duplicates allowed, never out of order.
      const seqsOf = (id: string) =>
        receiver.received.filter((r) => r.json?.data?.id === id).map((r) => r.json.seq as number);
      await until('every call_hangup delivered', () =>
        callIds.every((id) => receiver.received.some((r) => r.json?.data?.id === id && r.json.type === 'call_hangup')),
      );
      for (const id of callIds) {
        const seqs = seqsOf(id);
        assert.ok(
          seqs.every((s, i) => i === 0 || s >= seqs[i - 1]!),
          `call ${id}: seqs in order across the restart: ${seqs.join(',')}`,
        );
      }
      assert.equal(await second.process.stop(), 0, 'the restarted callbin stops cleanly on SIGTERM');
    } finally {
      await Promise.all(running.map((p) => p.stop('SIGKILL')));
      await provider.sipp.stop();
      await receiver.close();
      await slow.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
