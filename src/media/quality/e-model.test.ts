import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_R,
  G711_IMPAIRMENT,
  delayImpairment,
  effectiveImpairment,
  estimateQuality,
  mosFromR,
  opusImpairment,
} from './e-model.ts';
import { legQuality } from './leg-quality.ts';
import type { RtpStats } from '../rtp/index.ts';

const near = (actual: number, expected: number, tolerance: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected} ± ${tolerance}`);

describe('E-model (ITU-T G.107) reference points', () => {
  it('the default parameters give R = 93.2 and MOS 4.41', () => {
    assert.deepEqual(estimateQuality({ codec: G711_IMPAIRMENT, lossPct: 0, oneWayDelayMs: 0 }), { r: 93.2, mos: 4.41 });
    assert.equal(DEFAULT_R, 93.2);
  });

  it('Annex B: R 50 → 2.58, 60 → 3.10, 70 → 3.60, 80 → 4.02, 90 → 4.34; below 0 → 1, above 100 → 4.5', () => {
    for (const [r, mos] of [
      [50, 2.58],
      [60, 3.1],
      [70, 3.6],
      [80, 4.02],
      [90, 4.34],
    ] as const)
      near(mosFromR(r), mos, 0.005, `MOS of R ${r}`);
    assert.equal(mosFromR(-5), 1);
    assert.equal(mosFromR(120), 4.5);
  });

  it('Ie,eff: G.711 without concealment (Bpl 4.3) at 1 %, 2 %, 5 % random loss', () => {
    near(effectiveImpairment(G711_IMPAIRMENT, 1), (95 * 1) / 5.3, 1e-9, '1 %');
    near(effectiveImpairment(G711_IMPAIRMENT, 2), 30.16, 0.01, '2 %');
    near(effectiveImpairment(G711_IMPAIRMENT, 5), 51.08, 0.01, '5 %');
    assert.equal(effectiveImpairment(G711_IMPAIRMENT, 0), 0);
    // G.113 Appendix I: G.711 with PLC (Bpl 25.1) loses much less at 2 %.
    near(effectiveImpairment({ ie: 0, bpl: 25.1 }, 2), 7.01, 0.01, 'with PLC');
    // Bursty loss (BurstR 2) hurts more than random loss of the same rate.
    assert.ok(effectiveImpairment(G711_IMPAIRMENT, 5, 2) > effectiveImpairment(G711_IMPAIRMENT, 5));
  });

  it('Idd: none up to 100 ms; 3.04 at 200 ms; 24.08 at 400 ms (G.107 §3.4)', () => {
    assert.equal(delayImpairment(0), 0);
    assert.equal(delayImpairment(100), 0);
    near(delayImpairment(200), 3.04, 0.01, '200 ms');
    near(delayImpairment(400), 24.08, 0.01, '400 ms');
  });

  it('a G.711 call at 5 % loss rates far below a clean one; 300 ms one way costs R 14.7', () => {
    const clean = estimateQuality({ codec: G711_IMPAIRMENT, lossPct: 0, oneWayDelayMs: 40 });
    const lossy = estimateQuality({ codec: G711_IMPAIRMENT, lossPct: 5, oneWayDelayMs: 40 });
    const far = estimateQuality({ codec: G711_IMPAIRMENT, lossPct: 0, oneWayDelayMs: 300 });
    assert.equal(lossy.r, 42.1);
    near(lossy.mos, 2.16, 0.01, 'MOS at 5 %');
    near(far.r, 93.2 - 14.74, 0.1, 'R at 300 ms');
    assert.ok(far.mos < clean.mos && far.mos > 3.8, `300 ms: ${far.mos}`);
  });

  it('Opus: the impairment falls with the bitrate, none from 24 kb/s', () => {
    assert.equal(opusImpairment(6000).ie, 25);
    assert.equal(opusImpairment(10_000).ie, 15.5);
    assert.equal(opusImpairment(32_000).ie, 0);
    assert.ok(opusImpairment(16_000).ie > opusImpairment(20_000).ie);
  });
});

describe('legQuality: the figures of a leg', () => {
  const rtp: RtpStats = {
    packets_sent: 250,
    packets_received: 190,
    bytes_sent: 43_000,
    bytes_received: 32_680,
    lost: 10,
    jitter: 10,
    jitter_ms: 1.25,
    duplicates: 0,
    rtt_ms: 40,
  };

  it('loss over expected, the jitter buffer drops, and a MOS of that loss', () => {
    const q = legQuality('PCMU', rtp, { late: 2, duplicate: 1, skipped: 3, delayMs: 40 });
    assert.equal(q.loss_pct, 5);
    assert.equal(q.packets_lost, 10);
    assert.deepEqual([q.late, q.discarded, q.rtt_ms, q.jitter_ms], [2, 6, 40, 1.25]);
    assert.equal(q.mos, estimateQuality({ codec: G711_IMPAIRMENT, lossPct: 5, oneWayDelayMs: 60 }).mos);
  });

  it('no packet received: no MOS, no loss', () => {
    const q = legQuality('PCMA', { ...rtp, packets_received: 0, bytes_received: 0, lost: 0, rtt_ms: null }, undefined);
    assert.deepEqual([q.mos, q.loss_pct, q.rtt_ms, q.late, q.discarded], [null, 0, null, 0, 0]);
  });

  it('Opus is rated by the bitrate its packets show: 40 payload octets per 20 ms is 16 kb/s', () => {
    const q = legQuality(
      'opus',
      { ...rtp, lost: 0, packets_received: 100, bytes_received: 100 * (12 + 40) },
      undefined,
    );
    assert.equal(q.mos, estimateQuality({ codec: opusImpairment(16_000), lossPct: 0, oneWayDelayMs: 20 }).mos);
  });
});
