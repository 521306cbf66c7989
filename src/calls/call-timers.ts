/** Timer lengths of the call lifecycle. */
export interface CallTimerOptions {
  /** An outgoing call not answered within this is CANCELled (default 60 s). */
  dialTimeoutMs: number;
  /** An answered call is hung up after this (default 1 h). */
  maxDurationMs: number;
  /** An incoming call whose flow has not answered within this is rejected 480 (default 60 s). */
  incomingAnswerTimeoutMs: number;
}

/** The default timer lengths. */
export const DEFAULT_CALL_TIMERS: CallTimerOptions = {
  dialTimeoutMs: 60_000,
  maxDurationMs: 3_600_000,
  incomingAnswerTimeoutMs: 60_000,
};
