import { SerialQueue } from '../shared/index.ts';
import type { TimerHandle } from '../shared/index.ts';
import type { Conference, Conferencecall } from './conference.ts';

/** One call inside a live conference: its conferencecall, and the signals of its leaving. */
export class Member {
  readonly cc: Conferencecall;
  /** Resolves once someone asked the member to leave (kick, conference end). */
  readonly leaveRequested: Promise<void>;
  /** Resolves once the member has left (the conferencecall is `leaved` and stored). */
  readonly done: Promise<void>;
  #requestLeave: () => void = () => undefined;
  #markDone: () => void = () => undefined;

  constructor(cc: Conferencecall) {
    this.cc = cc;
    this.leaveRequested = new Promise((resolve) => {
      this.#requestLeave = resolve;
    });
    this.done = new Promise((resolve) => {
      this.#markDone = resolve;
    });
  }

  /** Asks the member to leave; idempotent. */
  requestLeave(): void {
    this.#requestLeave();
  }

  /** Reports that the member has left; idempotent. */
  markDone(): void {
    this.#markDone();
  }

  /** Resolves when a leave was requested or `signal` aborted, whichever comes first. */
  waitForLeave(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = (): void => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
      void this.leaveRequested.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

/** A conference that is progressing in this process: its state, members and one-at-a-time queue. */
export class LiveConference {
  readonly conference: Conference;
  readonly members = new Map<string, Member>();
  /** Every change of this conference's state runs here, one at a time. */
  readonly queue = new SerialQueue();
  timer: TimerHandle | undefined;
  /** Set once the conference started ending; every later end request awaits the same run. */
  ending: Promise<void> | undefined;

  constructor(conference: Conference) {
    this.conference = conference;
  }
}
