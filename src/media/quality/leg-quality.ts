import type { RtpStats } from '../rtp/index.ts';
import { G711_IMPAIRMENT, estimateQuality, opusImpairment, type CodecImpairment } from './e-model.ts';

/** RTP header bytes of a packet without CSRCs or extension (RFC 3550 §5.1). */
const RTP_HEADER = 12;
/** Packets per second of 20 ms frames. */
const PACKETS_PER_SECOND = 50;

/**
 * One leg's media quality as the call shows it (`qos`, docs/calls.md "Media quality") and the
 * timeline samples it (docs/timeline.md "Media quality"). Counts are cumulative since the leg's start.
 */
export interface LegQuality {
  codec: string;
  packets_sent: number;
  packets_received: number;
  bytes_sent: number;
  bytes_received: number;
  /** Expected minus received (RFC 3550 A.3), duplicates not counted; never negative. */
  packets_lost: number;
  /** packets_lost / expected, in percent, two decimals. */
  loss_pct: number;
  /** Interarrival jitter (RFC 3550 A.8) in ms. */
  jitter_ms: number;
  /** From the peer's RTCP reports on our stream; null where the peer sends none. */
  rtt_ms: number | null;
  /** Packets that came after their turn to play had passed (the jitter buffer dropped them). */
  late: number;
  /** Packets received and never played: late, duplicate, or skipped to cut the buffer's lead. */
  discarded: number;
  /** The E-model's estimated MOS (ITU-T G.107), 1-4.5; null while no packet was received. */
  mos: number | null;
}

/** What the jitter buffer adds to the RTP figures. */
export interface JitterBufferFigures {
  late: number;
  duplicate: number;
  skipped: number;
  /** The buffer's current lead in ms (it delays what is heard by that much). */
  delayMs: number;
}

/** The impairment of the codec a leg receives, by SDP name; Opus by the bitrate its packets show. */
export function impairmentOf(
  codec: string,
  stats: Pick<RtpStats, 'packets_received' | 'bytes_received'>,
): CodecImpairment {
  if (codec.toLowerCase() !== 'opus') return G711_IMPAIRMENT;
  const packets = stats.packets_received;
  const payload = packets === 0 ? 0 : stats.bytes_received / packets - RTP_HEADER;
  // No packets yet: Opus's usual 32 kb/s.
  return opusImpairment(packets === 0 ? 32_000 : payload * 8 * PACKETS_PER_SECOND);
}

/**
 * A leg's quality from its RTP figures and jitter buffer: loss over what was expected, and a MOS
 * of that loss and a one-way delay of half the RTT (when known) plus the jitter buffer's lead.
 */
export function legQuality(codec: string, rtp: RtpStats, jb: JitterBufferFigures | undefined): LegQuality {
  const lost = Math.max(0, rtp.lost);
  const expected = rtp.packets_received - rtp.duplicates + lost;
  const lossPct = expected > 0 ? Math.round((lost / expected) * 10_000) / 100 : 0;
  const oneWay = (rtp.rtt_ms ?? 0) / 2 + (jb?.delayMs ?? 0);
  const { mos } = estimateQuality({ codec: impairmentOf(codec, rtp), lossPct, oneWayDelayMs: oneWay });
  return {
    codec,
    packets_sent: rtp.packets_sent,
    packets_received: rtp.packets_received,
    bytes_sent: rtp.bytes_sent,
    bytes_received: rtp.bytes_received,
    packets_lost: lost,
    loss_pct: lossPct,
    jitter_ms: rtp.jitter_ms,
    rtt_ms: rtp.rtt_ms,
    late: jb?.late ?? 0,
    discarded: jb ? jb.late + jb.duplicate + jb.skipped : rtp.duplicates,
    mos: rtp.packets_received > 0 ? mos : null,
  };
}
