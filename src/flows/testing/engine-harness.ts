import { FakeClock } from '../../shared/index.ts';
import type { Activeflow } from '../activeflow.ts';
import { FlowEngine } from '../flow-engine.ts';
import type { FlowEngineDeps } from '../flow-engine.ts';
import {
  FakeCallControl,
  FakeConferences,
  FakeHttp,
  MemoryActiveflowStore,
  MemoryFlows,
  waitFor,
} from './fake-ports.ts';

/** The customer every harness flow belongs to. */
export const CUSTOMER = 'c1';

/** A FlowEngine over in-memory fakes of every port and a fake clock. */
export class EngineHarness {
  readonly clock = new FakeClock(Date.UTC(2026, 0, 5, 12, 0));
  readonly store = new MemoryActiveflowStore();
  readonly flows = new MemoryFlows();
  readonly calls = new FakeCallControl();
  readonly conferences = new FakeConferences();
  readonly http = new FakeHttp();
  readonly engine: FlowEngine;

  constructor(options: Partial<Pick<FlowEngineDeps, 'maxExecutedActions'>> = {}) {
    this.engine = new FlowEngine({
      store: this.store,
      flows: this.flows,
      calls: this.calls,
      conferences: this.conferences,
      http: this.http,
      clock: this.clock,
      ...options,
    });
  }

  /** Creates a call (`call-1` unless given) and starts an activeflow running `actions` for it; returns its id. */
  async startCall(
    actions: readonly unknown[],
    call: { id?: string; status?: 'ringing' | 'progressing'; variables?: Record<string, string> } = {},
  ): Promise<string> {
    const callId = call.id ?? 'call-1';
    if (!this.calls.calls.has(callId)) this.calls.addCall({ id: callId }, call.status ?? 'progressing');
    const { activeflow_id: id } = await this.engine.create({
      customer_id: CUSTOMER,
      call_id: callId,
      source: { actions },
      variables: call.variables ?? {},
    });
    await this.engine.execute(id);
    return id;
  }

  /** Starts an activeflow without a call; returns its id. */
  async startApi(actions: readonly unknown[], variables: Record<string, string> = {}): Promise<string> {
    return (await this.engine.startForApi({ customer_id: CUSTOMER, actions, variables })).id;
  }

  /** The activeflow as the engine shows it. */
  async activeflow(id: string): Promise<Activeflow> {
    const af = await this.engine.get(id);
    if (!af) throw new Error(`no activeflow ${id}`);
    return af;
  }

  /** Types of the actions executed so far, in order. */
  async executed(id: string): Promise<string[]> {
    return (await this.activeflow(id)).executed_actions.map((a) => a.type);
  }

  /** Waits until the activeflow ended and no background work is left. */
  async ended(id: string): Promise<Activeflow> {
    await waitFor(() => this.store.rows.get(id)?.status === 'ended', `activeflow ${id} to end`);
    await this.engine.whenIdle();
    return this.activeflow(id);
  }
}
