import type { Clock } from '../../shared/index.ts';
import type { MediaEndpoint } from '../../endpoint/index.ts';

/**
 * How long an answered WebRTC leg may take for ICE and DTLS to connect (docs/webrtc.md "Failures"):
 * a browser on loopback or a LAN connects in well under a second, one behind a slow path in a few.
 */
export const WEBRTC_CONNECT_TIMEOUT_MS = 15_000;

/** Why a WebRTC leg's media is given up: ICE/DTLS `failed` (e.g. a fingerprint mismatch), or no connection in time. */
export type WebRtcMediaFailure = 'failed' | 'timeout';

/**
 * Watches the transport of an answered WebRTC leg (docs/webrtc.md "Failures"): `onFailure` is called
 * once, when ICE/DTLS reaches `failed` (final, RFC 8829 §4.1.12) or has not reached `connected`
 * within `timeoutMs`. A plain RTP leg is not watched. Returns the function that stops watching.
 */
export function watchWebRtcMedia(
  endpoint: Pick<MediaEndpoint, 'webrtcState' | 'on'>,
  clock: Clock,
  onFailure: (why: WebRtcMediaFailure) => void,
  timeoutMs = WEBRTC_CONNECT_TIMEOUT_MS,
): () => void {
  const initial = endpoint.webrtcState;
  if (initial === undefined || initial === 'closed') return () => {};
  let done = false;
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const stop = (): void => {
    done = true;
    clock.clearTimeout(timer);
    timer = undefined;
    off();
  };
  const fail = (why: WebRtcMediaFailure): void => {
    if (done) return;
    stop();
    onFailure(why);
  };
  const off = endpoint.on('webrtc', (state) => {
    if (state === 'failed') fail('failed');
    else if (state === 'connected') {
      clock.clearTimeout(timer);
      timer = undefined;
    } else if (state === 'closed') stop();
  });
  if (initial === 'failed') {
    // Reported after the caller has finished setting up, as a state change would be.
    queueMicrotask(() => fail('failed'));
  } else if (initial !== 'connected') {
    timer = clock.setTimeout(() => fail('timeout'), timeoutMs);
  }
  return stop;
}
