/** Why a media stream client ended. */
export type StreamClientEnd =
  | 'local'
  | 'bot_closed'
  | 'bot_continue'
  | 'connect_failed'
  | 'handshake_timeout'
  | 'stalled'
  | 'protocol_error'
  | 'frame_too_large'
  | 'playback_overflow';

/** The WebSocket close code of a message too big to process (RFC 6455 §7.4.1). */
export const CLOSE_MESSAGE_TOO_BIG = 1009;

/** ws's message when its own handshake timeout fired. */
const HANDSHAKE_TIMED_OUT = 'Opening handshake has timed out';

/**
 * The end reason of a socket error. Before the upgrade completed every error is a failed connection
 * (refused, DNS, TLS, a non-101 answer, a refusing lookup) except the handshake timeout; after it, a
 * message over the size bound is `frame_too_large`, any other fault of the peer's framing (ws's
 * `WS_ERR_*` codes: bad opcode, mask, UTF-8, close code…) is `protocol_error`, and anything else
 * (a reset) means the bot went away.
 */
export function endReasonOfError(err: Error, open: boolean): StreamClientEnd {
  if (!open) return err.message === HANDSHAKE_TIMED_OUT ? 'handshake_timeout' : 'connect_failed';
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'frame_too_large';
  if (code.startsWith('WS_ERR_')) return 'protocol_error';
  return 'bot_closed';
}

/** The end reason of a socket that closed without an error seen first. */
export function endReasonOfClose(code: number, open: boolean): StreamClientEnd {
  if (!open) return 'connect_failed';
  return code === CLOSE_MESSAGE_TOO_BIG ? 'frame_too_large' : 'bot_closed';
}
