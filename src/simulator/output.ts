/** One line of a simulation's timeline: an action started or ended (docs/testing-your-flows.md "Simulator"). */
export interface SimulationStep {
  /** Virtual time (RFC 3339) and milliseconds since the simulation started. */
  tm: string;
  at_ms: number;
  action_id: string;
  action_type: string;
  event: 'start' | 'end';
  /** On `end`: `ok`, `error`, `skipped`, `aborted`, or a word of the action (`answered`, `timeout`, …). */
  result?: string;
  /** On `end`: the action that ran next (`""` when the flow ended). */
  next_action_id?: string;
  error?: { code: string; message: string };
  /** On `end`: what the simulated call, callees and HTTP saw during the action. */
  detail?: Record<string, unknown>;
}

/** An event callbin would have sent (`call_*`, `dtmf_received`, `activeflow_*`), with its data. */
export interface SimulatedEvent {
  tm: string;
  type: string;
  data: unknown;
}

/** One HTTP request the flow made, and how the script answered it. */
export interface SimulatedRequest {
  tm: string;
  at_ms: number;
  action_id: string;
  kind: 'webhook_send' | 'fetch' | 'fetch_flow';
  method: string;
  url: string;
  /** `scripted` (the script's `http`), `real` (sent through the guarded client) or `default` (no entry). */
  answered_by: 'scripted' | 'real' | 'default';
  status: number;
  error?: string;
}

/** One expectation of the script's `expect` and whether the simulation met it. */
export interface ExpectationResult {
  expectation: string;
  met: boolean;
  detail: string;
}

/** What `POST /simulations` answers and `callbin simulate` prints. */
export interface SimulationOutput {
  steps: SimulationStep[];
  /** The activeflow's variables at the end. */
  variables: Record<string, string>;
  events: SimulatedEvent[];
  requests: SimulatedRequest[];
  /** How the simulated call ended; null when it was still up when the simulation stopped. */
  hangup: { by: string; reason: string; tm: string } | null;
  expectations: ExpectationResult[];
  /** Why the simulation stopped before the flow ended (a bound reached, nothing left to happen); null when it ended. */
  stopped: { reason: 'max_steps' | 'max_virtual_time' | 'nothing_left'; tm: string; detail: string } | null;
  /** Virtual time from the start to the end of the simulation. */
  duration_ms: number;
}
