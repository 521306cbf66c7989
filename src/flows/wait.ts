import { AppError } from '../shared/index.ts';
import type { Clock, ErrorCode } from '../shared/index.ts';

/** An AbortController that also aborts when `parent` does; `dispose()` unlinks it. */
export function linkedController(parent: AbortSignal): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Waits `ms` on the clock; rejects with the signal's reason as soon as it aborts. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error a wait that ran out of time rejects with. */
export class WaitTimeoutError extends AppError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * Runs `work` with a signal that aborts after `ms` (rejecting with a `WaitTimeoutError` of `code`)
 * or when `signal` aborts (rejecting with its reason).
 */
export async function withTimeout<T>(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
  code: ErrorCode,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { controller, dispose } = linkedController(signal);
  const timeout = new WaitTimeoutError(code, `no answer within ${ms} ms`);
  let timer: ReturnType<Clock['setTimeout']> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = clock.setTimeout(() => {
      controller.abort(timeout);
      reject(timeout);
    }, ms);
  });
  const aborted = new Promise<never>((_resolve, reject) => {
    if (controller.signal.aborted) reject(controller.signal.reason);
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  // Both guards may reject after the race settled; those rejections are expected, not failures.
  expired.catch(() => undefined);
  aborted.catch(() => undefined);
  try {
    return await Promise.race([work(controller.signal), expired, aborted]);
  } finally {
    clock.clearTimeout(timer);
    dispose();
  }
}

/** True when `err` is the reason of an aborted signal (not an action's own failure). */
export function isAbortOf(signal: AbortSignal, err: unknown): boolean {
  return signal.aborted && err === signal.reason;
}
