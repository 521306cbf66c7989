import { shortId } from './call-status.ts';
import type { LiveCall } from './live-call.ts';
import type { CallLeg } from './ports.ts';

/**
 * What the far end of a call's leg was told about hold, and what it should be told. The hold
 * control takes effect locally at once (the leg hears music or silence); telling the far end is a
 * re-INVITE that may take up to 64*T1 and that the API never waits for. RFC 3261 §14.1: one
 * INVITE transaction at a time per dialog, so re-INVITEs run one after another and a change asked
 * for while one is pending is sent after it (only the latest wish, none when it is already true).
 */
export interface HoldSignal {
  /** The leg the re-INVITEs go to. */
  leg: CallLeg;
  /** What the last accepted re-INVITE told the far end (false: `sendrecv`, as at answer). */
  told: boolean;
  /** What the hold control asked for last. */
  wanted: boolean;
  /** True while re-INVITEs are being sent. */
  sending: boolean;
}

/** Tells the far end of `leg` about the call's hold state `on`, in the background. */
export function signalHold(live: LiveCall, leg: CallLeg, on: boolean): void {
  let signal = live.state.holdSignal;
  if (!signal || signal.leg !== leg) {
    signal = { leg, told: false, wanted: on, sending: false };
    live.state.holdSignal = signal;
  }
  signal.wanted = on;
  if (signal.sending) return;
  signal.sending = true;
  live.rt.background(sendUntilTold(live, signal), `call ${shortId(live.id)}: hold re-INVITE`);
}

async function sendUntilTold(live: LiveCall, signal: HoldSignal): Promise<void> {
  try {
    while (signal.told !== signal.wanted && live.call.status === 'progressing' && live.state.holdSignal === signal) {
      const on = signal.wanted;
      try {
        await (on ? signal.leg.hold() : signal.leg.unhold());
      } catch (err) {
        // RFC 3261 §14.1: after a non-2xx the session stays as it was (the far end was not told);
        // the leg still hears what the hold control set. A timeout, 408 or 481 also ended the
        // dialog, which the leg reports as remoteBye({failed: true}) and the call hangs up.
        live.logger.warn({ err, hold: on }, 'hold re-INVITE failed; the far end keeps the previous media direction');
        return;
      }
      signal.told = on;
    }
  } finally {
    signal.sending = false;
  }
}
