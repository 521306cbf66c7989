import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/shared/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import { RtpProbe } from '../support/calls-harness.ts';
import { SilentPeer, apiCall, expectStatus, startSippCaller, waitForCall, waitForListedCall } from '../support/callbin.ts';
import type { ApiResponse } from '../support/callbin.ts';
import { startCallbinProcess } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';

/** A callbin child process and the API it printed. */
interface Child {
  process: RunningProcess;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  sipPort: number;
}

async function startChild(env: Record<string, string>, key: string, running: RunningProcess[]): Promise<Child> {
  const child = startCallbinProcess(env);
  running.push(child);
  const [, apiUrl] = await child.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
  const [, sipPort] = await child.waitFor(/SIP:\s+sip:[\d.]+:(\d+)/);
  return { process: child, sipPort: Number(sipPort), api: (method, path, body) => apiCall(apiUrl ?? '', key, method, path, body) };
}

describe('calls e2e: crash safety of a real callbin process', () => {
  it('a call left progressing by a SIGKILLed process is hung up local/failed, with its call_hangup event, when callbin starts again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callbin-crash-'));
    const key = `vb_${randomBytes(24).toString('base64url')}`;
    const rtpMin = 20_000 + 2 * Math.floor(Math.random() * 9_900);
    const env = {
      CALLBIN_DATA_DIR: dataDir, CALLBIN_HTTP_HOST: '127.0.0.1', CALLBIN_HTTP_PORT: '0', CALLBIN_SIP_HOST: '127.0.0.1', CALLBIN_SIP_PORT: '0',
      CALLBIN_RTP_PORT_MIN: String(rtpMin), CALLBIN_RTP_PORT_MAX: String(rtpMin + 99), CALLBIN_ADMIN_KEY: key,
    };
    const running: RunningProcess[] = [];
    const sipps: SippProcess[] = [];
    const probe = await RtpProbe.open();
    const peer = await SilentPeer.open();
    try {
      const first = await startChild(env, key, running);
      expectStatus(await first.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port: peer.port, name: 'trunk' }), 200);
      const flow = expectStatus(await first.api('POST', '/v1.0/flows', { name: 'hold', actions: [{ type: 'answer' }, { type: 'sleep', option: { duration: 60_000 } }] }), 200);
      expectStatus(await first.api('POST', '/v1.0/numbers', { number: '+15550005000', call_flow_id: flow.id }), 200);
      const caller = await startSippCaller({ sipPort: first.sipPort }, 'calls-uac-incoming.xml', '+15550005000', { keys: { rtp_port: String(probe.port) } });
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
        assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'seq runs 1..n across the restart');
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
});
