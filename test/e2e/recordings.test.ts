import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RtpProbe } from '../support/calls-harness.ts';
import { downloadFiles, samplesOf } from '../support/recording-files.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  SilentPeer,
  apiCall,
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { ApiResponse, TestCallbin } from '../support/callbin.ts';
import { startCallbinProcess } from '../support/process.ts';
import type { RunningProcess } from '../support/process.ts';

const NIL = '00000000-0000-0000-0000-000000000000';
const HOLD_FLOW = [{ type: 'answer' }, { type: 'sleep', option: { duration: 60_000 } }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Share of the signal's energy at `hz` (Goertzel), 0..1, and its RMS. */
function toneShare(samples: Int16Array, hz: number): { share: number; rms: number } {
  const k = 2 * Math.cos((2 * Math.PI * hz) / 8000);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return {
    share: energy === 0 ? 0 : (2 * power) / (samples.length * energy),
    rms: Math.sqrt(energy / Math.max(1, samples.length)),
  };
}

describe('recordings e2e: call recordings through the whole callbin with sipp', () => {
  let cb: TestCallbin;
  let peer: SilentPeer;
  const sipps: SippProcess[] = [];
  const probes: RtpProbe[] = [];

  before(async () => {
    cb = await startTestCallbin();
    peer = await SilentPeer.open();
    // A provider on 127.0.0.1 makes the sipp callers (same address) a trusted source.
    await createProvider(cb, peer.port);
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(probes.map((p) => p.close()));
    await peer?.close();
    await cb?.close();
  });

  async function answeredCall(
    number: string,
    scenario: string,
  ): Promise<{ call: any; caller: SippProcess; probe: RtpProbe }> {
    await createNumberWithFlow(cb, number, HOLD_FLOW);
    const probe = await RtpProbe.open();
    probes.push(probe);
    const caller = await startSippCaller(cb, scenario, number, { keys: { rtp_port: String(probe.port) } });
    sipps.push(caller);
    const listed = await waitForListedCall(cb, (c) => c.destination?.target === number);
    const call = await waitForCall(cb, listed.id, (c) => c.status === 'progressing');
    probe.startTone();
    return { call, caller, probe };
  }

  it('started and stopped twice: two recordings in recording_ids, WAVs of the recorded length with the caller tone in _in.wav', async () => {
    const { call, caller } = await answeredCall('+15550007001', 'calls-uac-incoming.xml');
    await sleep(300);
    const made: { id: string; minSec: number; maxSec: number }[] = [];
    for (const holdMs of [1000, 1600]) {
      const t0 = performance.now();
      const started = expectStatus(
        await cb.api('POST', `/v1.0/calls/${call.id}/recording_start`, { format: 'wav' }),
        200,
      );
      const t1 = performance.now();
      assert.notEqual(started.recording_id, NIL);
      await sleep(holdMs);
      const t2 = performance.now();
      const stopped = expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/recording_stop`), 200);
      const t3 = performance.now();
      assert.equal(stopped.recording_id, NIL);
      made.push({ id: started.recording_id, minSec: (t2 - t1) / 1000, maxSec: (t3 - t0) / 1000 });
    }
    const now = expectStatus(await cb.api('GET', `/v1.0/calls/${call.id}`), 200);
    assert.deepEqual(
      now.recording_ids,
      made.map((m) => m.id),
    );
    assert.equal(now.recording_id, NIL);
    const listed = expectStatus(await cb.api('GET', `/v1.0/recordings?reference_id=${call.id}`), 200);
    assert.deepEqual(
      listed.result.map((r: { id: string }) => r.id),
      made.map((m) => m.id).reverse(),
    );
    for (const m of made) {
      const rec = expectStatus(await cb.api('GET', `/v1.0/recordings/${m.id}`), 200);
      assert.equal(rec.status, 'ended');
      assert.equal(rec.reference_type, 'call');
      assert.equal(rec.reference_id, call.id);
      const files = await downloadFiles(cb.handle.apiUrl, cb.handle.admin?.accessKey ?? '', m.id);
      const said = samplesOf(files.get(`${m.id}_in.wav`));
      const heard = samplesOf(files.get(`${m.id}_out.wav`));
      const seconds = said.length / 8000;
      assert.ok(
        seconds >= m.minSec - 0.2 && seconds <= m.maxSec + 0.2,
        `${seconds} s recorded for ${m.minSec.toFixed(3)}..${m.maxSec.toFixed(3)} s`,
      );
      assert.equal(heard.length, said.length);
      assert.ok(Math.abs(rec.duration_sec - seconds) < 0.01);
      const tone = toneShare(said, 1000);
      assert.ok(
        tone.rms > 500 && tone.share > 0.5,
        `caller tone in _in.wav: rms ${tone.rms.toFixed(0)}, share ${tone.share.toFixed(2)}`,
      );
      assert.ok(toneShare(heard, 1000).rms < 100, 'callbin sent silence to the caller');
      const events = await cb.store.outbox.listForResource('recording', m.id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['recording_started', 'recording_finished'],
      );
      const finished = events[1]?.data as { files: { filename: string; bytes: number; sha256: string }[] };
      for (const f of finished.files) {
        const bytes = files.get(f.filename);
        assert.ok(bytes);
        assert.equal(f.bytes, bytes.length);
        assert.equal(f.sha256, createHash('sha256').update(bytes).digest('hex'));
      }
    }
    expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    assert.equal((await caller.exited).code, 0);
  });

  it('end_of_key "#": the recording stops when the caller presses # (RFC 4733 from sipp) and the call goes on', async () => {
    const { call, caller } = await answeredCall('+15550007002', 'recordings-caller-pound.xml');
    const started = expectStatus(
      await cb.api('POST', `/v1.0/calls/${call.id}/recording_start`, { end_of_key: '#' }),
      200,
    );
    const recordingId = started.recording_id as string;
    const cleared = await waitForCall(cb, call.id, (c) => c.recording_id === NIL, 15_000);
    assert.equal(cleared.status, 'progressing');
    assert.deepEqual(cleared.recording_ids, [recordingId]);
    const rec = expectStatus(await cb.api('GET', `/v1.0/recordings/${recordingId}`), 200);
    assert.equal(rec.status, 'ended');
    assert.ok(rec.duration_sec > 0.5 && rec.duration_sec < 4, `stopped by the key after ${rec.duration_sec} s`);
    expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    assert.equal((await caller.exited).code, 0);
  });
});

describe('recordings e2e: crash safety of a real callbin process', () => {
  it('a recording running when the process is SIGKILLed is a playable WAV of all but the last second, ended after restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'callbin-rec-crash-'));
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
    const probe = await RtpProbe.open();
    const peer = await SilentPeer.open();
    const start = async () => {
      const child = startCallbinProcess(env);
      running.push(child);
      const [, apiUrl = ''] = await child.waitFor(/API:\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\.0/);
      const [, sipPort] = await child.waitFor(/SIP:\s+sip:[\d.]+:(\d+)/);
      return {
        child,
        apiUrl,
        sipPort: Number(sipPort),
        api: (m: string, p: string, b?: unknown): Promise<ApiResponse> => apiCall(apiUrl, key, m, p, b),
      };
    };
    try {
      const first = await start();
      expectStatus(
        await first.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port: peer.port, name: 'trunk' }),
        200,
      );
      const flow = expectStatus(await first.api('POST', '/v1.0/flows', { name: 'hold', actions: HOLD_FLOW }), 200);
      expectStatus(await first.api('POST', '/v1.0/numbers', { number: '+15550007003', call_flow_id: flow.id }), 200);
      sipps.push(
        await startSippCaller(first, 'calls-uac-incoming.xml', '+15550007003', {
          keys: { rtp_port: String(probe.port) },
        }),
      );
      const listed = await waitForListedCall(first, (c) => c.direction === 'incoming');
      await waitForCall(first, listed.id, (c) => c.status === 'progressing');
      probe.startTone();
      const started = expectStatus(await first.api('POST', `/v1.0/calls/${listed.id}/recording_start`, {}), 200);
      const t0 = performance.now();
      await sleep(3300);
      first.child.child.kill('SIGKILL');
      const recordedSec = (performance.now() - t0) / 1000;
      assert.equal(await first.child.stop(), null, 'the process died of SIGKILL');

      const second = await start();
      const rec = expectStatus(await second.api('GET', `/v1.0/recordings/${started.recording_id}`), 200);
      assert.equal(rec.status, 'ended');
      const files = await downloadFiles(second.apiUrl, key, rec.id);
      const said = samplesOf(files.get(`${rec.id}_in.wav`));
      const seconds = said.length / 8000;
      assert.ok(
        seconds >= recordedSec - 1.25 && seconds <= recordedSec + 0.2,
        `${seconds} s kept of ${recordedSec.toFixed(2)} s recorded`,
      );
      assert.ok(Math.abs(rec.duration_sec - seconds) < 0.01);
      assert.ok(toneShare(said, 1000).share > 0.5, 'the caller tone survived the crash');
      const events = await apiCall(second.apiUrl, key, 'GET', `/v1.0/recordings?reference_id=${listed.id}`);
      assert.deepEqual(
        events.body.result.map((r: { id: string }) => r.id),
        [rec.id],
      );
      assert.equal(await second.child.stop(), 0, 'the restarted callbin stops cleanly on SIGTERM');
    } finally {
      await Promise.all(running.map((p) => p.stop('SIGKILL')));
      await Promise.all(sipps.map((s) => s.stop()));
      await probe.close();
      await peer.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
