import { AppError, NIL_UUID } from '../../shared/index.ts';
import type { Clock } from '../../shared/index.ts';
import type { TimelineRecorder } from '../../timeline/index.ts';

/** The request a flow action makes, as its `http` entry names it. */
export interface FlowHttpExchange {
  customer_id: string;
  activeflow_id: string;
  call_id?: string | undefined;
  action_id?: string | undefined;
  action_type: 'webhook_send' | 'fetch';
  method: string;
  url: string;
}

/** The scheme, host and path of `url`: a query may carry a customer's secrets. */
function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url.split(/[?#]/, 1)[0] ?? '';
  }
}

/** Times a flow's HTTP requests and records each as an `http` entry (docs/timeline.md "Entries"). */
export class HttpTimeline {
  readonly #recorder: TimelineRecorder | undefined;
  readonly #clock: Clock;

  constructor(recorder: TimelineRecorder | undefined, clock: Clock) {
    this.#recorder = recorder?.enabled ? recorder : undefined;
    this.#clock = clock;
  }

  /** Runs `send`; its answer's status (or its failure's code) and latency become an entry. */
  async timed<T extends { status: number }>(x: FlowHttpExchange, send: () => Promise<T>): Promise<T> {
    const recorder = this.#recorder;
    if (!recorder) return send();
    const startMs = this.#clock.now();
    let status = 0;
    let error = '';
    try {
      const res = await send();
      status = res.status;
      return res;
    } catch (err) {
      error = err instanceof AppError ? err.code : 'HTTP_REQUEST_FAILED';
      throw err;
    } finally {
      const latency = this.#clock.now() - startMs;
      const url = withoutQuery(x.url);
      recorder.record({
        customer_id: x.customer_id,
        call_id: x.call_id ?? NIL_UUID,
        activeflow_id: x.activeflow_id,
        conference_id: NIL_UUID,
        kind: 'http',
        summary: `${x.action_type} ${x.method} ${url}: ${status || error} in ${latency} ms`,
        data: {
          action_id: x.action_id ?? NIL_UUID,
          action_type: x.action_type,
          method: x.method,
          url,
          status,
          latency_ms: latency,
          error,
        },
        atMs: startMs,
      });
    }
  }
}
