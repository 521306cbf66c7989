import type { LookupFunction } from 'node:net';
import type { Clock } from '../../shared/index.ts';
import type { StreamFormat } from './stream-audio.ts';
import type { StreamClientEnd } from './stream-end.ts';

/** The bounds of one media stream. */
export interface StreamLimits {
  /** The WebSocket handshake must complete within this (`handshake_timeout`). */
  handshakeMs: number;
  /** A ping is sent this often. */
  pingMs: number;
  /** No pong for this long ends the stream (`stalled`). */
  pongTimeoutMs: number;
  /** Largest message the bot may send (`frame_too_large`). */
  maxFrameBytes: number;
  /** Most audio of the bot queued ahead of playback (`playback_overflow`). */
  maxQueuedMs: number;
  /** Above this many bytes buffered in the socket, outbound messages wait in a bounded list. */
  highWaterBytes: number;
  /** Most outbound messages waiting; the oldest media message is dropped for a new one. */
  maxPendingMessages: number;
}

/** The bounds of a media stream unless given: 10 s, 5 s, 15 s, 256 KiB, 120 s, 256 KiB, 50 (1 s of media). */
export const DEFAULT_STREAM_LIMITS: StreamLimits = Object.freeze({
  handshakeMs: 10_000,
  pingMs: 5000,
  pongTimeoutMs: 15_000,
  maxFrameBytes: 256 * 1024,
  maxQueuedMs: 120_000,
  highWaterBytes: 256 * 1024,
  maxPendingMessages: 50,
});

/** How to reach the bot. */
export interface MediaStreamClientOptions {
  /** `ws://` or `wss://`. */
  url: string;
  /** Sent with the upgrade request (`User-Agent: callbin` unless given). */
  headers: Record<string, string>;
  format: StreamFormat;
  clock: Clock;
  /** Used for the TCP connection (the SSRF guard's connect-time check); not called for an IP-literal host. */
  lookup?: LookupFunction;
  limits?: Partial<StreamLimits>;
}

/** Events of a {@link MediaStreamClient}. */
export type MediaStreamClientEvents = {
  /** The bot accepted the upgrade. */
  open: [];
  /** A mark was played (and echoed to the bot). */
  mark: [name: string];
  /** The bot cleared the queue. */
  clear: [];
  /** Exactly once. */
  end: [reason: StreamClientEnd, variables: Record<string, string>];
};
