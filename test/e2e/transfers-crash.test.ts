import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import { apiCall, expectStatus, startSippProvider, waitForCall } from '../support/callbin.ts';
import type { ApiResponse } from '../support/callbin.ts';
import { startCallbinProcess } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** A callbin child process and the API it printed. */
interface Child {
  process: RunningProcess;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
}

async function startChild(env: Record<string, string>, key: string, running: RunningProcess[]): Promise<Child> {
  const child = startCallbinProcess(env);
  running.push(child);
  const [, apiUrl] = await child.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
  return { process: child, api: (method, path, body) => apiCall(apiUrl ?? '', key, method, path, body) };
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const SOURCE = { type: 'tel', target: '+15550007000' };

/** `sip:` address of a sipp UAS. */
const sip = (user: string, port: number) => ({ type: 'sip', target: `sip:${user}@127.0.0.1:${port}` });

/**
 * A caller's call (to a sipp UAS that answers) whose `connect` dialled an agent (same UAS), both
 * answered; resolves with the agent's call, chained to the caller's.
 */
async function talking(child: Child, answerPort: number): Promise<{ callerId: string; agentId: string }> {
  const [caller] = expectStatus(
    await child.api('POST', '/v1.0/calls', {
      source: SOURCE,
      destinations: [sip('caller', answerPort)],
      actions: [{ type: 'connect', option: { destinations: [sip('agent', answerPort)] } }],
    }),
    200,
  ).calls;
  await waitForCall(child, caller.id, (c) => c.status === 'progressing');
  let agentId = '';
  await until('the agent call answered', async () => {
    const master = expectStatus(await child.api('GET', `/v1.0/calls/${caller.id}`), 200);
    agentId = master.chained_call_ids[0] ?? '';
    if (!agentId) return false;
    return expectStatus(await child.api('GET', `/v1.0/calls/${agentId}`), 200).status === 'progressing';
  });
  return { callerId: caller.id, agentId };
}

describe('transfers e2e: durable across a SIGKILL of callbin', { timeout: 180_000 }, () => {
  it('a transfer in progress ends failed (restart) with its webhook; a completed one is still readable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callbin-transfers-crash-'));
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
    const running: RunningProcess[] = [];
    const sipps: SippProcess[] = [];
    const receiver = await WebhookReceiver.start();
    try {
      // Five answered calls (two callers, two agents, one transferee); one transferee that only rings.
      const answering = await startSippProvider('e2e-uas-answer-wait-bye.xml', ['-m', '5']);
      const ringing = await startSippProvider('e2e-uas-ringing-then-cancel.xml');
      sipps.push(answering.sipp, ringing.sipp);
      const first = await startChild(env, key, running);
      expectStatus(
        await first.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
        200,
      );

      const done = await talking(first, answering.port);
      const completed = expectStatus(
        await first.api('POST', '/v1.0/transfers', {
          type: 'blind',
          transferer_call_id: done.agentId,
          transferee: sip('transferee', answering.port),
        }),
        200,
      );
      await until('the first transfer completed', async () => {
        return expectStatus(await first.api('GET', `/v1.0/transfers/${completed.id}`), 200).status === 'completed';
      });

      const pending = await talking(first, answering.port);
      const ringingTransfer = expectStatus(
        await first.api('POST', '/v1.0/transfers', {
          type: 'blind',
          transferer_call_id: pending.agentId,
          transferee: sip('transferee', ringing.port),
        }),
        200,
      );
      await until('the second transfer ringing', async () => {
        return expectStatus(await first.api('GET', `/v1.0/transfers/${ringingTransfer.id}`), 200).status === 'ringing';
      });
      const before = receiver.delivered.length;

      first.process.child.kill('SIGKILL');
      assert.equal(await first.process.stop(), null, 'the process died of SIGKILL');

      const second = await startChild(env, key, running);
      const ended = expectStatus(await second.api('GET', `/v1.0/transfers/${ringingTransfer.id}`), 200);
      assert.equal(ended.status, 'failed');
      assert.equal(ended.end_reason, 'restart');
      assert.equal(typeof ended.tm_end, 'string');
      const kept = expectStatus(await second.api('GET', `/v1.0/transfers/${completed.id}`), 200);
      assert.equal(kept.status, 'completed');
      assert.equal(kept.end_reason, '');
      // Its calls were ended as the crash recovery of calls does (local/failed, reconcile).
      for (const id of [pending.callerId, pending.agentId, ringingTransfer.transferee_call_id]) {
        const call = expectStatus(await second.api('GET', `/v1.0/calls/${id}`), 200);
        assert.equal(call.status, 'hangup', `call ${id} ended`);
        assert.equal(call.hangup_reason, 'failed');
      }
      // Complete and cancel of a transfer no process runs any more: 409, not 404.
      const refused = await second.api('POST', `/v1.0/transfers/${ringingTransfer.id}/cancel`);
      assert.equal(refused.status, 409);

      await receiver.waitFor(
        (r) => r.delivered.some((d) => d.json?.type === 'transfer_failed' && d.json?.data?.id === ringingTransfer.id),
        20_000,
        'transfer_failed of the interrupted transfer',
      );
      const failed = receiver.delivered.find(
        (d) => d.json?.type === 'transfer_failed' && d.json?.data?.id === ringingTransfer.id,
      );
      assert.equal(failed?.json.data.end_reason, 'restart');
      assert.equal(failed?.json.data.status, 'failed');
      console.log(
        `# after the restart: transfer ${ringingTransfer.id.slice(0, 8)} failed (${failed?.json.data.end_reason}), ` +
          `${receiver.delivered.length - before} webhooks delivered since the kill`,
      );
      assert.equal(await second.process.stop(), 0, 'the restarted callbin stops cleanly on SIGTERM');
    } finally {
      for (const p of running) await p.stop().catch(() => undefined);
      for (const s of sipps) await s.stop().catch(() => undefined);
      await receiver.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
