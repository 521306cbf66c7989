import type { Activeflow, ActiveflowEvent, ActiveflowStorePort } from '../flows/index.ts';
import { isoTime } from '../shared/index.ts';
import { snapshotOf } from './sim-util.ts';
import type { SimulatedEvent, SimulatedRequest, SimulationStep } from './output.ts';
import type { VirtualClock } from './virtual-clock.ts';

const DIGITS = 'voipbin.call.digits';

/** The action running now and what the ports saw while it ran. */
interface OpenStep {
  id: string;
  type: string;
  tmExecute: string;
  startMs: number;
  digitsBefore: string;
  notes: Record<string, unknown>[];
}

/**
 * The simulation's record: the engine's ActiveflowStorePort (each save is a cursor move, an error
 * or the end, from which the steps are read), the events and requests, and an activity counter the
 * driver watches to know when the flow has nothing left to do at this instant.
 */
export class Trace implements ActiveflowStorePort {
  readonly steps: SimulationStep[] = [];
  readonly events: SimulatedEvent[] = [];
  readonly requests: SimulatedRequest[] = [];
  readonly #clock: VirtualClock;
  readonly #rows = new Map<string, Activeflow>();
  /** The activeflow of the simulated call; others (none today) are kept but not traced. */
  traced = '';
  /** Set before the driver stops the flow from outside: the running action ends `aborted`. */
  aborting = false;
  /** Texts whose ids are the customer's own (the flow, the script, stored flows, real answers): kept in the output. */
  readonly given: string[] = [];
  /** Grows with every port call, save and event: the driver's sign that something still moves. */
  activity = 0;
  #open: OpenStep | undefined;
  #count = 0;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /** The traced activeflow as last saved. */
  get activeflow(): Activeflow | undefined {
    return this.#rows.get(this.traced);
  }

  /** The id of the action running now, or `""`. */
  get currentActionId(): string {
    return this.#open?.id ?? '';
  }

  /** Records an event callbin would have sent. */
  event(type: string, data: unknown): void {
    this.activity += 1;
    this.events.push({ tm: isoTime(this.#clock.now()), type, data });
  }

  /** Records what a port saw for the running action (shown as the step's `detail`). */
  note(note: Record<string, unknown>): void {
    this.activity += 1;
    this.#open?.notes.push(note);
  }

  /** Records an HTTP request of the running action. */
  request(request: Omit<SimulatedRequest, 'tm' | 'at_ms' | 'action_id'>): void {
    this.activity += 1;
    const now = this.#clock.now();
    this.requests.push({
      tm: isoTime(now),
      at_ms: now - this.#clock.startMs,
      action_id: this.currentActionId,
      ...request,
    });
  }

  async save(activeflow: Activeflow, events: readonly ActiveflowEvent[]): Promise<void> {
    this.activity += 1;
    this.#rows.set(activeflow.id, snapshotOf(activeflow));
    for (const e of events) this.event(e.type, e.data);
    if (activeflow.id !== this.traced) return;
    const count = activeflow.executed_count ?? activeflow.executed_actions.length;
    if (count > this.#count) {
      this.#count = count;
      this.#close(activeflow, { next: activeflow.current_action.id });
      this.#start(activeflow);
    }
    const error = events.find((e) => e.data.error !== undefined)?.data.error;
    if (error !== undefined && error.action_id === this.#open?.id) this.#close(activeflow, { error });
    if (activeflow.status === 'ended') this.#close(activeflow, { next: '' });
  }

  async get(activeflowId: string): Promise<Activeflow | undefined> {
    const row = this.#rows.get(activeflowId);
    return row ? snapshotOf(row) : undefined;
  }

  async listRunning(): Promise<Activeflow[]> {
    return [...this.#rows.values()].filter((a) => a.status === 'running').map(snapshotOf);
  }

  #start(af: Activeflow): void {
    const now = this.#clock.now();
    const action = af.current_action;
    this.#open = {
      id: action.id,
      type: action.type,
      tmExecute: action.tm_execute ?? '',
      startMs: now,
      digitsBefore: af.variables[DIGITS] ?? '',
      notes: [],
    };
    this.steps.push({ ...this.#at(now), action_id: action.id, action_type: action.type, event: 'start' });
  }

  #close(af: Activeflow, how: { next?: string; error?: { code: string; message: string } }): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    const executed = af.executed_actions.findLast((a) => a.id === open.id && a.tm_execute === open.tmExecute);
    const result =
      how.error !== undefined
        ? 'error'
        : executed?.skipped === true
          ? 'skipped'
          : this.aborting && af.status === 'ended'
            ? 'aborted'
            : resultOf(open, af.variables[DIGITS] ?? '');
    const step: SimulationStep = {
      ...this.#at(this.#clock.now()),
      action_id: open.id,
      action_type: open.type,
      event: 'end',
      result,
    };
    if (how.next !== undefined) step.next_action_id = how.next;
    if (how.error !== undefined) step.error = { code: how.error.code, message: how.error.message };
    const detail = detailOf(open, af.variables[DIGITS] ?? '');
    if (detail !== undefined) step.detail = detail;
    this.steps.push(step);
  }

  #at(now: number): { tm: string; at_ms: number } {
    return { tm: isoTime(now), at_ms: now - this.#clock.startMs };
  }
}

/** The word an action that ran to its end is shown with. */
function resultOf(open: OpenStep, digitsAfter: string): string {
  const kinds = open.notes.map((n) => n.kind);
  switch (open.type) {
    case 'answer':
      return kinds.includes('answered') ? 'answered' : 'ok';
    case 'talk':
    case 'play':
    case 'beep':
      return open.notes.some((n) => n.interrupted === true) ? 'interrupted' : 'played';
    case 'digits_receive':
      return digitsAfter.length > open.digitsBefore.length ? 'received' : 'timeout';
    case 'connect': {
      const outcomes = open.notes.filter((n) => n.kind === 'callee').map((n) => String(n.outcome));
      if (outcomes.includes('answered')) return 'answered';
      return outcomes.find((o) => o === 'busy' || o === 'failed') ?? 'noanswer';
    }
    default:
      return 'ok';
  }
}

function detailOf(open: OpenStep, digitsAfter: string): Record<string, unknown> | undefined {
  const detail: Record<string, unknown> = {};
  if (open.type === 'digits_receive') detail.digits = digitsAfter;
  if (open.notes.length > 0) detail.notes = open.notes;
  return Object.keys(detail).length > 0 ? detail : undefined;
}
