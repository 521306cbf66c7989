import { validateFlowActions } from '../flows/index.ts';
import type {
  ConferenceFlows,
  ConferencePort,
  FetchRequest,
  FlowLookupPort,
  HttpPort,
  StoredFlow,
  WebhookRequest,
} from '../flows/index.ts';
import { AppError, NIL_UUID } from '../shared/index.ts';
import type { ScriptHttpAnswer } from './script.ts';
import { untilAborted, waitOn } from './sim-util.ts';
import type { Trace } from './trace.ts';
import type { VirtualClock } from './virtual-clock.ts';

/** The script's answer for a URL: the entry of the URL itself, else of its longest prefix. */
export function scriptedAnswer(
  http: Readonly<Record<string, ScriptHttpAnswer>>,
  url: string,
): ScriptHttpAnswer | undefined {
  const exact = http[url];
  if (exact !== undefined) return exact;
  let best: string | undefined;
  for (const key of Object.keys(http))
    if (url.startsWith(key) && (best === undefined || key.length > best.length)) best = key;
  return best === undefined ? undefined : http[best];
}

function bodyOf(answer: ScriptHttpAnswer): unknown {
  if (typeof answer.body !== 'string') return answer.body ?? [];
  try {
    return JSON.parse(answer.body);
  } catch {
    return answer.body;
  }
}

/**
 * The flow engine's HttpPort in a simulation: each request is answered as the script's `http` says
 * (`{status, body}` after `delay_ms` of virtual time, or the real request through `real`), 200 and
 * `[]` when it says nothing. Real requests in flight keep the virtual clock still.
 */
export class SimHttp implements HttpPort {
  /** Real requests not answered yet: the driver waits for them before it moves time on. */
  readonly inFlight = new Set<Promise<unknown>>();
  readonly #clock: VirtualClock;
  readonly #trace: Trace;
  readonly #http: Readonly<Record<string, ScriptHttpAnswer>>;
  readonly #real: HttpPort | undefined;

  constructor(clock: VirtualClock, trace: Trace, http: Readonly<Record<string, ScriptHttpAnswer>>, real?: HttpPort) {
    this.#clock = clock;
    this.#trace = trace;
    this.#http = http;
    this.#real = real;
  }

  async send(request: WebhookRequest, signal: AbortSignal): Promise<{ status: number }> {
    const seen = { kind: 'webhook_send' as const, method: request.method, url: request.uri };
    const answer = scriptedAnswer(this.#http, request.uri);
    if (answer?.real === true) {
      const real = this.#realPort();
      const result = await this.#track(
        seen,
        real.send(request, signal).then((r) => ({ status: r.status, value: r })),
      );
      return result;
    }
    if (answer?.delay_ms) await waitOn(this.#clock, answer.delay_ms, signal);
    const status = answer?.status ?? 200;
    this.#trace.request({ ...seen, answered_by: answer ? 'scripted' : 'default', status });
    return { status };
  }

  async fetchJson(request: FetchRequest, signal: AbortSignal): Promise<unknown> {
    const seen = { kind: 'fetch' as const, method: request.method, url: request.url };
    const answer = scriptedAnswer(this.#http, request.url);
    if (answer?.real === true) {
      const real = this.#realPort();
      const answered = real.fetchJson(request, signal).then((value) => {
        this.#trace.given.push(JSON.stringify(value));
        return { status: 200, value };
      });
      return this.#track(seen, answered);
    }
    if (answer?.delay_ms) await waitOn(this.#clock, answer.delay_ms, signal);
    const status = answer?.status ?? 200;
    this.#trace.request({ ...seen, answered_by: answer ? 'scripted' : 'default', status });
    if (status < 200 || status >= 300)
      throw new AppError('FETCH_FAILED', `${request.method} ${request.url} answered ${status}`);
    const body = answer ? bodyOf(answer) : [];
    if (!Array.isArray(body))
      throw new AppError('FETCH_INVALID_RESPONSE', `${request.url} answered JSON that is not an array of actions`);
    return body;
  }

  #realPort(): HttpPort {
    if (this.#real === undefined) throw new AppError('HTTP_REQUEST_FAILED', 'real requests are not available here');
    return this.#real;
  }

  async #track<T>(
    seen: { kind: 'webhook_send' | 'fetch'; method: string; url: string },
    work: Promise<{ status: number; value: T }>,
  ): Promise<T> {
    this.inFlight.add(work);
    try {
      const { status, value } = await work;
      this.#trace.request({ ...seen, answered_by: 'real', status });
      return value;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.#trace.request({ ...seen, answered_by: 'real', status: 0, error });
      throw err;
    } finally {
      this.inFlight.delete(work);
    }
  }
}

/**
 * Stored flows for `fetch_flow` in a simulation: the script's `http` entry keyed by the flow id
 * (its `body` the actions, a non-2xx status no such flow), else the customer's stored flow.
 */
export class SimFlows implements FlowLookupPort {
  readonly #trace: Trace;
  readonly #http: Readonly<Record<string, ScriptHttpAnswer>>;
  readonly #stored: FlowLookupPort | undefined;
  /** Off while the simulation looks up the flow it runs: that lookup is no `fetch_flow`. */
  tracing = false;

  constructor(trace: Trace, http: Readonly<Record<string, ScriptHttpAnswer>>, stored?: FlowLookupPort) {
    this.#trace = trace;
    this.#http = http;
    this.#stored = stored;
  }

  async getFlow(customerId: string, flowId: string): Promise<StoredFlow | undefined> {
    const answer = this.tracing ? this.#http[flowId] : undefined;
    const seen = { kind: 'fetch_flow' as const, method: 'GET', url: flowId };
    if (answer === undefined || answer.real === true) {
      const flow = await this.#stored?.getFlow(customerId, flowId);
      // A stored flow's ids are the customer's own: they stay as they are in the output.
      if (flow !== undefined) this.#trace.given.push(JSON.stringify(flow.actions));
      if (!this.tracing) return flow;
      this.#trace.request({ ...seen, answered_by: answer ? 'real' : 'default', status: flow ? 200 : 404 });
      return flow;
    }
    const status = answer.status ?? 200;
    this.#trace.request({ ...seen, answered_by: 'scripted', status });
    if (status < 200 || status >= 300) return undefined;
    const actions = validateFlowActions(bodyOf(answer), { fieldPrefix: `script.http.${flowId}.body` });
    return { id: flowId, customer_id: customerId, actions };
  }
}

/** Conferences in a simulation: every id is a progressing conference without flows; a call stays until its flow is stopped. */
export class SimConferences implements ConferencePort {
  readonly #trace: Trace;

  constructor(trace: Trace) {
    this.#trace = trace;
  }

  async join(_callId: string, conferenceId: string, signal: AbortSignal): Promise<void> {
    this.#trace.note({ kind: 'conference_joined', conference_id: conferenceId });
    await untilAborted(signal);
  }

  async flowsOf(): Promise<ConferenceFlows | undefined> {
    return { pre_flow_id: NIL_UUID, post_flow_id: NIL_UUID };
  }
}
