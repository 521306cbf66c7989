import type { FlowPort, FlowSource } from '../calls/index.ts';
import {
  ConflictError,
  NIL_UUID,
  NotFoundError,
  ValidationError,
  newId,
  silentLogger,
  systemClock,
} from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { nilAction } from './activeflow.ts';
import type { Activeflow, ActiveflowReferenceType } from './activeflow.ts';
import { ActiveflowRun } from './activeflow-run.ts';
import type { RunDeps } from './activeflow-run.ts';
import { validateFlowActions } from './flow-action-validator.ts';
import type { FlowAction } from './flow-action.ts';
import type { FlowStepObserver } from './flow-steps.ts';
import type { FlowPorts } from './ports.ts';
import { initialVariables, validateRequestVariables } from './variables.ts';

/** Most actions one activeflow executes before it is ended with `TOO_MANY_ACTIONS`. */
export const MAX_EXECUTED_ACTIONS = 1000;

/** What FlowEngine is built from: the ports, and optionally time, logging and checks. */
export interface FlowEngineDeps extends FlowPorts {
  clock?: Clock;
  logger?: Logger;
  /** Whether the speech engine speaks a `talk.language`; no check when absent. */
  isSupportedLanguage?: (tag: string) => boolean;
  /** Default 1000. */
  maxExecutedActions?: number;
  /** Hears each step of every activeflow (docs/timeline.md "Entries"). */
  steps?: FlowStepObserver | undefined;
}

/** `POST /activeflows`: run a flow without a call. */
export interface ApiActiveflowRequest {
  customer_id: string;
  flow_id?: string;
  actions?: readonly unknown[];
  variables?: Record<string, unknown>;
  webhook_uri?: string;
  /** VoIPBIN lets the client choose the activeflow's id (a UUID not in use). */
  id?: string;
  /** The method of `webhook_uri`'s requests (default the customer's). */
  webhook_method?: string;
}

interface NewActiveflow {
  customer_id: string;
  source: FlowSource;
  variables: Record<string, unknown>;
  reference_type: ActiveflowReferenceType;
  reference_id: string;
  webhook_uri?: string;
  id?: string;
  webhook_method?: string;
}

/**
 * Activeflows of this process: creates them (for calls through the calls domain's FlowPort, or from
 * the API), runs each on its own ActiveflowRun and stops them. When a call's flow ends by itself the
 * engine tells the calls side (`CallControlPort.flowEnded`), which hangs the call up.
 */
export class FlowEngine implements FlowPort {
  readonly #ports: FlowPorts;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #isSupportedLanguage: ((tag: string) => boolean) | undefined;
  readonly #runDeps: RunDeps;
  readonly #runs = new Map<string, ActiveflowRun>();
  readonly #background = new Set<Promise<unknown>>();

  constructor(deps: FlowEngineDeps) {
    const {
      clock = systemClock,
      logger = silentLogger,
      isSupportedLanguage,
      maxExecutedActions = MAX_EXECUTED_ACTIONS,
      steps,
      ...ports
    } = deps;
    this.#ports = ports;
    this.#clock = clock;
    this.#logger = logger;
    this.#isSupportedLanguage = isSupportedLanguage;
    this.#runDeps = {
      ports,
      clock,
      logger,
      maxExecutedActions,
      parseActions: (raw, field) => this.#parseActions(raw, field),
      track: (work, what) => this.#track(work, what),
      ended: (id) => this.#runs.delete(id),
      steps,
    };
  }

  /** Throws 404 `FLOW_NOT_FOUND` / 400 `INVALID_ACTION` when the flow cannot run for the customer. */
  async validate(customerId: string, source: FlowSource): Promise<void> {
    await this.#resolve(customerId, source);
  }

  /** Creates (does not start) the activeflow of a call; `variables` are checked (400 `INVALID_VARIABLES`). */
  async create(request: {
    customer_id: string;
    call_id: string;
    source: FlowSource;
    variables: Record<string, string>;
  }): Promise<{ flow_id: string; activeflow_id: string }> {
    const af = await this.#create({
      customer_id: request.customer_id,
      source: request.source,
      variables: request.variables,
      reference_type: 'call',
      reference_id: request.call_id,
    });
    return { flow_id: af.flow_id, activeflow_id: af.id };
  }

  /** Starts the activeflow; resolves at once (its actions run in the background). An ended one stays ended. */
  async execute(activeflowId: string): Promise<void> {
    const run = this.#runs.get(activeflowId);
    if (run !== undefined) {
      run.start();
      return;
    }
    const stored = await this.#ports.store.get(activeflowId);
    if (stored === undefined)
      throw new NotFoundError('ACTIVEFLOW_NOT_FOUND', `activeflow ${activeflowId} does not exist`);
  }

  /**
   * Ends the activeflow and cancels its waiting action; idempotent. The calls domain stops a call's
   * activeflow without `hangupCall` (it knows); `POST /activeflows/{id}/stop` passes `hangupCall: true`
   * so the call then hangs up as when the flow ends by itself.
   */
  async stop(activeflowId: string, options: { hangupCall?: boolean } = {}): Promise<void> {
    await this.#runs.get(activeflowId)?.stop(options.hangupCall === true);
  }

  /** `POST /activeflows`: validates, creates and starts an activeflow without a call; media actions are skipped. */
  async startForApi(request: ApiActiveflowRequest): Promise<Activeflow> {
    const source = this.#sourceOf(request);
    const af = await this.#create({
      customer_id: request.customer_id,
      source,
      variables: request.variables ?? {},
      reference_type: 'api',
      reference_id: NIL_UUID,
      ...(request.webhook_uri !== undefined ? { webhook_uri: request.webhook_uri } : {}),
      ...(request.webhook_method !== undefined ? { webhook_method: request.webhook_method } : {}),
      ...(request.id !== undefined ? { id: request.id } : {}),
    });
    this.#runs.get(af.id)?.start();
    return af;
  }

  /** The activeflow as it is now: live from memory, otherwise from the store. */
  async get(activeflowId: string): Promise<Activeflow | undefined> {
    return this.#runs.get(activeflowId)?.view() ?? this.#ports.store.get(activeflowId);
  }

  /** Ids of the activeflows running (or created, not yet started) in this process. */
  listLive(): string[] {
    return [...this.#runs.keys()];
  }

  /**
   * Crash safety: stored `running` activeflows this process does not own are ended. With `nodeId`,
   * only those of that node: this node's previous incarnation at start-up, or a dead node
   * (docs/cluster.md "Node health").
   */
  async reconcile(options: { nodeId?: string | undefined } = {}): Promise<Activeflow[]> {
    const ended: Activeflow[] = [];
    const filter = options.nodeId === undefined ? {} : { nodeId: options.nodeId };
    for (const stale of await this.#ports.store.listRunning(filter)) {
      if (this.#runs.has(stale.id)) continue;
      const af: Activeflow = {
        ...stale,
        status: 'ended',
        current_action: nilAction(),
        tm_update: new Date(this.#clock.now()).toISOString(),
      };
      await this.#ports.store.save(af, [{ type: 'activeflow_updated', data: structuredClone(af) }]);
      ended.push(af);
    }
    if (ended.length > 0)
      this.#logger.info(
        { count: ended.length, ...filter },
        'reconciled activeflows left running by a previous process',
      );
    return ended;
  }

  /** Resolves once no activeflow loop or background work is left. */
  async whenIdle(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  /** Stops every running activeflow (shutdown); calls are not told. */
  async close(): Promise<void> {
    await Promise.all([...this.#runs.values()].map((run) => run.stop(false)));
  }

  #sourceOf(request: ApiActiveflowRequest): FlowSource {
    if ((request.flow_id === undefined) === (request.actions === undefined)) {
      throw ValidationError.field('flow_id', 'INVALID_ARGUMENT', 'give exactly one of flow_id and actions');
    }
    return request.flow_id !== undefined ? { flow_id: request.flow_id } : { actions: request.actions ?? [] };
  }

  async #create(request: NewActiveflow): Promise<Activeflow> {
    const variables = validateRequestVariables(request.variables);
    const { flowId, actions } = await this.#resolve(request.customer_id, request.source);
    const id = request.id ?? newId();
    if (this.#runs.has(id)) throw new ConflictError('ALREADY_EXISTS', `activeflow ${id} exists already`);
    const now = new Date(this.#clock.now()).toISOString();
    const callId = request.reference_type === 'call' ? request.reference_id : '';
    const af: Activeflow = {
      id,
      customer_id: request.customer_id,
      flow_id: flowId,
      status: 'running',
      reference_type: request.reference_type,
      reference_id: request.reference_id,
      current_action: nilAction(),
      executed_actions: [],
      variables: { ...initialVariables({ activeflowId: id, flowId, callId }), ...variables },
      ...(request.webhook_uri !== undefined ? { webhook_uri: request.webhook_uri } : {}),
      ...(request.webhook_method !== undefined ? { webhook_method: request.webhook_method } : {}),
      tm_create: now,
      tm_update: now,
    };
    const run = new ActiveflowRun(this.#runDeps, af, actions);
    this.#runs.set(id, run);
    try {
      await run.created();
    } catch (err) {
      this.#runs.delete(id);
      throw err;
    }
    return run.view();
  }

  async #resolve(customerId: string, source: FlowSource): Promise<{ flowId: string; actions: readonly FlowAction[] }> {
    if ('flow_id' in source) {
      const flow = await this.#ports.flows.getFlow(customerId, source.flow_id);
      if (flow === undefined || flow.customer_id !== customerId)
        throw new NotFoundError('FLOW_NOT_FOUND', `flow ${source.flow_id} does not exist`);
      return { flowId: flow.id, actions: flow.actions };
    }
    // Inline actions form a flow that is not stored; it still gets an id of its own.
    return { flowId: newId(), actions: this.#parseActions(source.actions, 'actions') };
  }

  #parseActions(raw: unknown, field: string): FlowAction[] {
    return validateFlowActions(raw, {
      fieldPrefix: field,
      ...(this.#isSupportedLanguage ? { isSupportedLanguage: this.#isSupportedLanguage } : {}),
    });
  }

  #track(work: Promise<unknown>, what: string): void {
    const tracked = work.catch((err: unknown) => this.#logger.error({ err }, `${what} failed`));
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }
}
