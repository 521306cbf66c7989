import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runWebRtcBench, type WebRtcStep } from './webrtc.ts';

const finite = (x: number): boolean => Number.isFinite(x) && x >= 0;

function assertStep(s: WebRtcStep): void {
  const what = JSON.stringify(s);
  assert.ok(s.serverCpuPct > 0 && s.cpuUsPerCallSecond > 0 && s.cpuUsPerPacket > 0, what);
  assert.ok(finite(s.lossPct) && finite(s.burstMissPct) && finite(s.loadCpuPct), what);
  // Something came back through the bridge: a round trip was measured.
  assert.ok(s.rttP50Ms > 0 && s.rttP50Ms <= s.rttP99Ms, what);
}

test('bench smoke: WebRTC legs transcoded to G.711 and relayed WebRTC↔WebRTC, each beside plain RTP', async () => {
  const r = await runWebRtcBench({ levels: [2], holdMs: 2500, warmupMs: 500 });
  assert.deepEqual(
    r.steps.map((s) => `${s.kind}/${s.front}/${s.calls}`),
    ['transcode/webrtc/2', 'transcode/rtp/2', 'relay/webrtc/2', 'relay/rtp/2'],
  );
  for (const s of r.steps) assertStep(s);
  assert.deepEqual(
    r.comparisons.map((c) => c.kind),
    ['transcode', 'relay'],
  );
  for (const c of r.comparisons) {
    assert.ok(c.cpuRatio > 0 && Number.isFinite(c.addedOneWayP50Ms) && Number.isFinite(c.addedOneWayP99Ms));
  }
});
