/** RFC 3261 §17 timer base values, in milliseconds; everything else derives from them. */
export interface TimerConfig {
  /** RTT estimate (Table 4: 500 ms). */
  t1Ms: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses (4 s). */
  t2Ms: number;
  /** Maximum duration a message remains in the network (5 s). */
  t4Ms: number;
  /** Timer D: wait for response retransmissions after an INVITE non-2xx (> 32 s on UDP). */
  timerDMs: number;
  /** RFC 3261 §17.2.1: send 100 Trying when the TU has not answered an INVITE within this. */
  trying100Ms: number;
}

/** The RFC's default timer values. */
export const DEFAULT_TIMERS: Readonly<TimerConfig> = Object.freeze({
  t1Ms: 500,
  t2Ms: 4_000,
  t4Ms: 5_000,
  timerDMs: 32_000,
  trying100Ms: 200,
});

/** Fill unset timer values with the RFC defaults. */
export function resolveTimers(partial: Partial<TimerConfig> = {}): TimerConfig {
  return { ...DEFAULT_TIMERS, ...partial };
}
