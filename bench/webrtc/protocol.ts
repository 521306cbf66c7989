/**
 * The line protocol between the WebRTC benchmark's server (bench/webrtc.ts) and its load process
 * (bench/webrtc/load.ts): one JSON request per line on the load's stdin, one JSON answer per line
 * on its stdout, in order.
 */

/** The audio codec a phone speaks: PCMU (payload type 0) or Opus (111, RFC 7587). */
export type PhoneCodec = 'PCMU' | 'opus';

/** One phone of the load: a werift peer (a browser) or a plain UDP socket (an RTP phone). */
export interface PhoneSpec {
  transport: 'webrtc' | 'rtp';
  codec: PhoneCodec;
}

/** What a phone `send`s: `tag` = payloads carrying an id and a send time, `burst` = a tone burst every 500 ms. */
export type RunMode = 'tag' | 'burst';

export type LoadRequest =
  | { op: 'open'; phones: PhoneSpec[] }
  /** Per phone: the server's SDP answer (webrtc) or the server leg's port (rtp). */
  | { op: 'connect'; remotes: { answerSdp?: string; port?: number }[] }
  | { op: 'run'; roles: ('send' | 'echo')[]; mode: RunMode; durationMs: number; warmupMs: number }
  | { op: 'close' };

/** Per phone, in order: its offer (webrtc) or its bound port (rtp). */
export interface OpenAnswer {
  phones: { offerSdp?: string; port?: number }[];
}

/** Figures of one run, counted after the warm-up. */
export interface RunAnswer {
  /** Packets the senders sent. */
  sent: number;
  /** Packets every phone received, and the sequence gaps they saw (RFC 3550 numbering). */
  received: number;
  gaps: number;
  /** `tag` mode: tagged packets sent and those that came back. */
  tagsSent: number;
  tagsBack: number;
  /** `burst` mode: bursts sent and those heard back within 400 ms. */
  burstsSent: number;
  burstsHeard: number;
  /** Round trip per tag or burst, ms. */
  rttP50: number;
  rttP99: number;
  rttMax: number;
  /** The load process's CPU over the run, % of one core. */
  cpuPct: number;
}
