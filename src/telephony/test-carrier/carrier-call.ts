import { MediaEndpoint, type MediaEndpointOptions } from '../../endpoint/index.ts';
import { PcmSource, beep, silence, type TtsEngine } from '../../media/index.ts';
import type { Clock, Logger } from '../../shared/index.ts';
import type { IncomingInvite } from '../../sip/index.ts';
import { LegDialog } from '../signaling/leg-dialog.ts';
import {
  CARRIER_MAX_CALL_MS,
  DTMF_AFTER_MS,
  LATE_ANSWER_MS,
  MACHINE_GREETING,
  SPEAK_LEAD_MS,
  SPOKEN_SENTENCE,
  type TestNumber,
} from './test-numbers.ts';

const SDP = 'application/sdp';

/** What one call of the carrier needs. */
export interface CarrierCallDeps {
  clock: Clock;
  logger: Logger;
  endpointOptions: MediaEndpointOptions;
  tts: TtsEngine;
}

/** Resolves after `ms` on `clock`, or at once (false) when `signal` aborts first. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function speech(deps: CarrierCallDeps, text: string, signal: AbortSignal): Promise<Int16Array> {
  return deps.tts.synthesize({ text, language: 'en-US', gender: 'female', signal });
}

/** The audio a speaking number plays, prepared before it answers. */
async function prompt(deps: CarrierCallDeps, entry: TestNumber, signal: AbortSignal): Promise<Int16Array | undefined> {
  if (entry.behaviour === 'speak') {
    const sentence = await speech(deps, SPOKEN_SENTENCE, signal);
    return concat([silence(SPEAK_LEAD_MS), sentence, silence(300)]);
  }
  if (entry.behaviour === 'machine') {
    const greeting = await speech(deps, MACHINE_GREETING, signal);
    return concat([greeting, silence(300), beep()]);
  }
  return undefined;
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * One call to an answering test number (docs/testing-your-flows.md "Test numbers"): 180, the
 * answer after its delay, then its behaviour on real RTP; ends when either side hangs up, the INVITE
 * is cancelled, or {@link CARRIER_MAX_CALL_MS} passed. Resolves when the call is over.
 */
export async function runAnsweringCall(
  invite: IncomingInvite,
  entry: TestNumber,
  deps: CarrierCallDeps,
): Promise<void> {
  const done = new AbortController();
  const { signal } = done;
  // A CANCEL (487) or the carrier closing (503) answered the INVITE for us.
  invite.on('final', (status) => status !== 200 && done.abort());
  const cap = deps.clock.setTimeout(() => done.abort(), CARRIER_MAX_CALL_MS);
  let endpoint: MediaEndpoint | undefined;
  try {
    const offerSdp = invite.request.body.toString('utf8');
    let answer: string;
    try {
      ({ endpoint, answerSdp: answer } = await MediaEndpoint.answer({ ...deps.endpointOptions, offerSdp }));
    } catch (err) {
      deps.logger.debug({ err }, 'test carrier: offer not answerable');
      if (invite.finalStatus === undefined) invite.reject(488);
      return;
    }
    if (invite.finalStatus !== undefined) return;
    invite.progress(180);
    const audio = await prompt(deps, entry, signal);
    const delay = entry.behaviour === 'late-answer' ? LATE_ANSWER_MS : 0;
    if (!(await pause(deps.clock, delay, signal)) || invite.finalStatus !== undefined) return;
    await converse(invite, endpoint, answer, entry, audio, deps, done);
  } catch (err) {
    if (!signal.aborted) deps.logger.warn({ err, number: entry.number }, 'test carrier call failed');
  } finally {
    deps.clock.clearTimeout(cap);
    // Not answered: cancelled (487 sent already), the cap (480) or a failure (500).
    if (invite.finalStatus === undefined) invite.reject(signal.aborted ? 480 : 500);
    await endpoint?.close();
  }
}

/** One call to the number that rings and never answers: 180, then only a CANCEL or the cap (480) ends it. */
export async function runRingingCall(invite: IncomingInvite, clock: Clock): Promise<void> {
  const done = new AbortController();
  invite.on('final', () => done.abort());
  if (invite.finalStatus !== undefined) return;
  invite.progress(180);
  await pause(clock, CARRIER_MAX_CALL_MS, done.signal);
  if (invite.finalStatus === undefined) invite.reject(480);
}

/** Answers, runs the number's behaviour, and waits until the dialog ends (our BYE or the caller's). */
async function converse(
  invite: IncomingInvite,
  endpoint: MediaEndpoint,
  answerSdp: string,
  entry: TestNumber,
  audio: Int16Array | undefined,
  deps: CarrierCallDeps,
  done: AbortController,
): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    const dialog = invite.accept({ body: answerSdp, contentType: SDP });
    const leg = new LegDialog(dialog, endpoint, { remoteEnded: () => undefined, ended: () => resolve() }, deps.logger);
    done.signal.addEventListener('abort', () => void leg.bye(), { once: true });
    void (async () => {
      await invite.waitForAck();
      await behave(endpoint, entry, audio, deps, done.signal);
      if (entry.behaviour === 'speak') await leg.bye();
    })().catch((err: unknown) => {
      if (!done.signal.aborted) deps.logger.debug({ err }, 'test carrier: call ended early');
      void leg.bye();
    });
  });
  await ended;
  done.abort();
}

async function behave(
  endpoint: MediaEndpoint,
  entry: TestNumber,
  audio: Int16Array | undefined,
  deps: CarrierCallDeps,
  signal: AbortSignal,
): Promise<void> {
  switch (entry.behaviour) {
    case 'speak':
    case 'machine':
      if (audio) await endpoint.play(new PcmSource(audio), { signal });
      return;
    case 'dtmf':
      if (await pause(deps.clock, DTMF_AFTER_MS, signal)) await endpoint.sendDigits('1');
      return;
    case 'echo':
      // What the endpoint hears on a tick is what it sends on the next (docs/media.md "Jitter buffer").
      await endpoint.play(endpoint.audio, { signal });
      return;
    default:
      return;
  }
}
