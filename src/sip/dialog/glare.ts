import { AppError } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';

/**
 * RFC 3261 §14.1: after a 491 the UAC retries after a random delay in 10 ms units — 2.1 to
 * 4 s when it owns the Call-ID (it sent the dialog-creating INVITE), 0 to 2 s otherwise.
 */
export function glareRetryDelayMs(ownsCallId: boolean, random: () => number = Math.random): number {
  const [minMs, maxMs] = ownsCallId ? [2100, 4000] : [0, 2000];
  const steps = Math.floor(random() * ((maxMs - minMs) / 10 + 1));
  return minMs + Math.min(steps, (maxMs - minMs) / 10) * 10;
}

/** Wait the §14.1 glare delay on `clock`; rejects with AppError `ABORTED` when `signal` aborts. */
export function waitGlareRetry(clock: Clock, ownsCallId: boolean, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const aborted = (): AppError => new AppError('ABORTED', 'glare retry wait aborted');
    if (signal?.aborted) return reject(aborted());
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(aborted());
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, glareRetryDelayMs(ownsCallId));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
