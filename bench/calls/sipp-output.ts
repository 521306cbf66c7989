/** The final counters of a sipp client run (from its `-trace_stat` CSV). */
export interface SippStats {
  created: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** Messages that arrived for calls sipp had already ended. */
  deadCallMessages: number;
  elapsedSec: number;
}

/** `HH:MM:SS` or `HH:MM:SS:µs` to seconds. */
function durationSec(text: string | undefined): number {
  const parts = (text ?? '').split(':').map(Number);
  const [h = 0, m = 0, s = 0, us = 0] = parts;
  return h * 3600 + m * 60 + s + us / 1e6;
}

/** Reads the last line of sipp's statistics CSV (cumulative columns, `(C)`). */
export function parseSippStats(csv: string): SippStats {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(';');
  const values = (lines[lines.length - 1] ?? '').split(';');
  const at = (name: string): string | undefined => values[header.indexOf(name)];
  const num = (name: string): number => Number(at(name) ?? 0) || 0;
  return {
    created: num('TotalCallCreated'),
    successful: num('SuccessfulCall(C)'),
    failed: num('FailedCall(C)'),
    retransmissions: num('Retransmissions(C)'),
    deadCallMessages: num('DeadCallMsgs(C)'),
    elapsedSec: durationSec(at('ElapsedTime(C)')),
  };
}

/** Parses `YYYY-MM-DD HH:MM:SS.ffffff` as ms (only differences are used, so the day is enough). */
function stampMs(text: string): number {
  const m = /(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2}\.\d+)/.exec(text);
  if (!m) return NaN;
  return Date.parse(`${m[1]}T00:00:00Z`) + (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

/**
 * INVITE → 200 OK per call from a sipp `-trace_msg` file: the first INVITE sent for a Call-ID to
 * the first 200 received with `CSeq: … INVITE` (retransmissions keep the first send time).
 */
export function parseTraceMsgSetupMs(log: string): number[] {
  const sentAt = new Map<string, number>();
  const setup = new Map<string, number>();
  for (const block of log.split(/^-{20,} /m)) {
    const stamp = stampMs(block.slice(0, 40));
    const sent = /UDP message sent/.test(block.slice(0, 120));
    const callId = /\nCall-ID:\s*(\S+)/i.exec(block)?.[1];
    if (callId === undefined || !Number.isFinite(stamp)) continue;
    if (sent && /\nINVITE /.test(block) && !sentAt.has(callId)) sentAt.set(callId, stamp);
    else if (!sent && /\nSIP\/2\.0 200 /.test(block) && /\nCSeq:\s*\d+ INVITE/i.test(block) && !setup.has(callId)) {
      const t0 = sentAt.get(callId);
      if (t0 !== undefined) setup.set(callId, stamp - t0);
    }
  }
  return [...setup.values()];
}

/** The `p`-th percentile (0–100) of `values` (nearest rank); NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
