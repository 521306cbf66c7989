// The commands on one live call (API, flow actions, other modules' reports): CallCommands, the base
// of CallService (call-service.ts), which runs each on the call's queue and answers with the call.
import { NIL_UUID, clonePlain } from '../shared/index.ts';
import type { Call, CallAction } from './call.ts';
import * as controls from './call-controls.ts';
import { hangupLocally } from './call-ending.ts';
import type { LocalHangup } from './call-ending.ts';
import { redirectFlow } from './call-flow.ts';
import { answerIncoming } from './incoming-call.ts';
import type { LiveCall } from './live-call.ts';
import type { MuteRequestDirection } from './mute-direction.ts';
import type { FlowSource, RecordingOptions, TalkRequest } from './ports.ts';

/** `POST /calls/{id}/digits` (durations in milliseconds). */
export interface DigitsCommand {
  digits: string;
  duration?: number;
  interval?: number;
}

const DEFAULT_DIGIT_DURATION_MS = 100;
const DEFAULT_DIGIT_INTERVAL_MS = 100;

/** Every command on one live call; the subclass owns the registry and runs `op` on the call's queue. */
export abstract class CallCommands {
  /** Runs `op` on the live call's queue and resolves with the call after it; rejects for a call not live here. */
  protected abstract runOnCall(callId: string, op: (live: LiveCall) => Promise<unknown>): Promise<Call>;

  /** Answers an incoming call (flow `answer` action) -> `progressing`. */
  answer(callId: string): Promise<Call> {
    return this.runOnCall(callId, (live) => answerIncoming(live));
  }

  /**
   * Lets an unanswered incoming call hear early media: 183 Session Progress with its SDP, the call
   * stays `ringing` (docs/media.md "Early media"); a no-op for any other call.
   */
  sessionProgress(callId: string): Promise<Call> {
    return this.runOnCall(callId, async (live) => {
      if (live.call.direction === 'incoming' && live.call.status === 'ringing')
        await live.incoming?.sessionProgress?.();
    });
  }

  /** A local hangup (API, flow, cascade) as docs/calls.md's tables say. */
  hangup(callId: string, request: LocalHangup = {}): Promise<Call> {
    return this.runOnCall(callId, (live) => hangupLocally(live, request));
  }

  /** `POST|DELETE /calls/{id}/hold`. */
  setHold(callId: string, on: boolean, mohUrl?: string): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.setHold(live, on, mohUrl));
  }

  /** `POST|DELETE /calls/{id}/moh`. */
  setMusicOnHold(callId: string, on: boolean, mohUrl?: string): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.setMusicOnHold(live, on, mohUrl));
  }

  /** `POST|DELETE /calls/{id}/mute` with `{direction}`. */
  setMute(callId: string, direction: MuteRequestDirection, on: boolean): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.setMute(live, direction, on));
  }

  /** `POST|DELETE /calls/{id}/silence`. */
  setSilence(callId: string, on: boolean): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.setSilence(live, on));
  }

  /** `POST /calls/{id}/talk`. */
  talk(callId: string, request: TalkRequest): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.talk(live, request));
  }

  /** `POST /calls/{id}/play`. */
  play(callId: string, mediaUrls: readonly string[]): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.play(live, mediaUrls));
  }

  /** `POST /calls/{id}/media_stop`. */
  stopMedia(callId: string): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.stopMedia(live));
  }

  /** `POST /calls/{id}/digits`. */
  sendDigits(callId: string, command: DigitsCommand): Promise<Call> {
    const request = {
      digits: command.digits,
      durationMs: command.duration ?? DEFAULT_DIGIT_DURATION_MS,
      intervalMs: command.interval ?? DEFAULT_DIGIT_INTERVAL_MS,
    };
    return this.runOnCall(callId, (live) => controls.sendDigits(live, request));
  }

  /** `POST /calls/{id}/recording_start`. */
  startRecording(callId: string, options: RecordingOptions): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.startRecording(live, options));
  }

  /** `POST /calls/{id}/recording_stop`. */
  stopRecording(callId: string): Promise<Call> {
    return this.runOnCall(callId, (live) => controls.stopRecording(live));
  }

  /** `POST /calls/{id}/redirect`: stop the activeflow, run another. */
  redirect(callId: string, source: FlowSource, variables: Record<string, string> = {}): Promise<Call> {
    return this.runOnCall(callId, (live) => redirectFlow(live, source, variables));
  }

  /**
   * A transfer keeps `chainedId` up while its master ends (docs/calls.md "Transfer"): the call leaves
   * the master's `chained_call_ids` and follows no master any more.
   */
  async unchain(masterId: string, chainedId: string): Promise<Call> {
    await this.runOnCall(chainedId, (live) => live.update({ master_call_id: NIL_UUID }));
    return this.runOnCall(masterId, (live) =>
      live.update({ chained_call_ids: live.call.chained_call_ids.filter((id) => id !== chainedId) }),
    );
  }

  /** The flows module reports the action now executing on the call. */
  setAction(callId: string, action: CallAction): Promise<Call> {
    return this.runOnCall(callId, (live) => live.update({ action: { ...action, option: clonePlain(action.option) } }));
  }

  /** The conferences module reports the conference the call sits in now (nil UUID when it left). */
  setConference(callId: string, conferenceId: string): Promise<Call> {
    return this.runOnCall(callId, (live) => live.update({ conference_id: conferenceId }));
  }
}
