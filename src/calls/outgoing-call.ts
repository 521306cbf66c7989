import { InvalidStateError, NotFoundError, ValidationError, hasCode, newId } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { addressIssues, validateAddress } from './address.ts';
import type { Address } from './address.ts';
import { isoTime, newCall } from './call.ts';
import type { Call, CallType } from './call.ts';
import { createdChange, updatedChange } from './call-events.ts';
import type { CallChange } from './call-events.ts';
import { LiveCall } from './live-call.ts';
import type { CallRuntime, OutgoingPlan } from './live-call.ts';
import type { FlowSource, Provider, Route } from './ports.ts';
import { runningAttempt } from './route-attempts.ts';
import { orderRoutes, requireRoutes, takeNextRoute } from './routing.ts';
import type { RouteCandidate } from './routing.ts';

/** `POST /calls` as the domain takes it (docs/calls.md "Creating calls"); addresses are validated here. */
export interface OutgoingCallRequest {
  customer_id: string;
  source: unknown;
  destinations: readonly unknown[];
  flow_id?: string;
  actions?: readonly unknown[];
  master_call_id?: string;
  early_execution?: boolean;
  /** `auto` (VoIPBIN's default) is callbin's default: the caller id is shown. */
  anonymous?: 'yes' | 'no' | 'auto';
  variables?: Record<string, string>;
  metadata?: Record<string, unknown>;
  /** Seconds (default 60). */
  dial_timeout?: number;
  /** Seconds (default 3600). */
  max_duration?: number;
  type?: CallType;
  /** Set by the groupcall that dials the call (groupcall-service.ts); never taken from a client. */
  groupcall_id?: string;
}

/** One destination after validation, with how it will be reached. */
interface PreparedDestination {
  destination: Address;
  target: OutgoingPlan['target'];
  candidates: RouteCandidate[];
  contacts: readonly string[];
}

/** A validated request: nothing has been created or dialled yet. */
export interface PreparedOutgoing {
  request: OutgoingCallRequest;
  source: Address;
  flow: FlowSource;
  destinations: PreparedDestination[];
  /** Destinations that cannot be dialled and were left out (docs/calls.md "Creating calls"). */
  skipped: SkippedDestination[];
}

/** A destination left out of a request because it cannot be dialled, with why. */
export interface SkippedDestination {
  index: number;
  error: Error;
}

/** Why one destination cannot be dialled while the others still can (VoIPBIN skips such a destination). */
const UNDIALABLE = ['EXTENSION_NOT_FOUND', 'ROUTE_NOT_FOUND', 'SIP_TARGET_FORBIDDEN'] as const;

function isUndialable(err: unknown): err is Error {
  return err instanceof Error && UNDIALABLE.some((code) => hasCode(err, code));
}

const DIALABLE = ['tel', 'sip', 'extension'] as const;

function flowSourceOf(request: OutgoingCallRequest): FlowSource {
  const hasFlow = request.flow_id !== undefined;
  if (hasFlow === (request.actions !== undefined)) {
    throw ValidationError.field('flow_id', 'INVALID_ARGUMENT', 'give exactly one of flow_id and actions');
  }
  return request.flow_id !== undefined ? { flow_id: request.flow_id } : { actions: request.actions ?? [] };
}

function destinationIssues(destinations: readonly unknown[]): FieldIssue[] {
  if (destinations.length === 0)
    return [{ field: 'destinations', reason: 'INVALID_ARGUMENT', message: 'must list at least one destination' }];
  return destinations.flatMap((d, i) => {
    const field = `destinations[${i}]`;
    const issues = addressIssues(d, field);
    if (issues.length > 0) return issues;
    const type = (d as Partial<Address>).type ?? '';
    return (DIALABLE as readonly string[]).includes(type)
      ? []
      : [
          {
            field: `${field}.type`,
            reason: 'INVALID_ADDRESS',
            message: `a call can dial ${DIALABLE.join(', ')}, not ${JSON.stringify(type)}`,
          },
        ];
  });
}

function secondsIssues(request: OutgoingCallRequest): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of ['dial_timeout', 'max_duration'] as const) {
    const v = request[field];
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      issues.push({ field, reason: 'INVALID_ARGUMENT', message: 'must be a positive number of seconds' });
  }
  return issues;
}

async function routesFor(
  rt: CallRuntime,
  customerId: string,
): Promise<{ routes: readonly Route[]; providers: readonly Provider[] }> {
  const routes = await rt.routing.listRoutes(customerId);
  const providers = await rt.routing.listProviders([...new Set(routes.map((r) => r.provider_id))]);
  return { routes, providers };
}

/**
 * Validates a request completely (addresses, flow, routes, extensions) before anything is created or
 * dialled. A destination that is well formed but cannot be dialled (unknown extension, no route, refused
 * SIP target) is skipped; the request fails with the first such error only when no destination is left.
 */
export async function prepareOutgoing(rt: CallRuntime, request: OutgoingCallRequest): Promise<PreparedOutgoing> {
  const source = validateAddress(request.source, 'source');
  const issues = [...destinationIssues(request.destinations), ...secondsIssues(request)];
  if (issues.length > 0) throw new ValidationError(issues);
  const flow = flowSourceOf(request);
  await rt.flows.validate(request.customer_id, flow);
  const destinations = request.destinations.map((d, i) => validateAddress(d, `destinations[${i}]`));
  const table = destinations.some((d) => d.type === 'tel') ? await routesFor(rt, request.customer_id) : undefined;
  const prepared: PreparedDestination[] = [];
  const skipped: SkippedDestination[] = [];
  for (const [i, destination] of destinations.entries()) {
    try {
      prepared.push(await prepareDestination(rt, request.customer_id, destination, i, table));
    } catch (err) {
      if (!isUndialable(err)) throw err;
      skipped.push({ index: i, error: err });
    }
  }
  if (prepared.length === 0 && skipped[0]) throw skipped[0].error;
  return { request, source, flow, destinations: prepared, skipped };
}

async function prepareDestination(
  rt: CallRuntime,
  customerId: string,
  destination: Address,
  index: number,
  table: { routes: readonly Route[]; providers: readonly Provider[] } | undefined,
): Promise<PreparedDestination> {
  const target = destination.type as OutgoingPlan['target'];
  if (target === 'tel') {
    const reserved = rt.routing.reservedRoutes?.(destination.target);
    const routed =
      reserved && !reserved.thenCustomerRoutes
        ? []
        : orderRoutes(customerId, destination.target, table?.routes ?? [], table?.providers ?? []);
    // docs/calls.md "Test numbers": the platform's own routes come first, a provider once.
    const first = reserved?.candidates ?? [];
    const candidates = [...first, ...routed.filter((c) => !first.some((r) => r.provider.id === c.provider.id))];
    requireRoutes(candidates, destination.target, `destinations[${index}]`);
    return { destination, target, candidates, contacts: [] };
  }
  if (target === 'extension') {
    const contacts = await rt.directory.extensionContacts(customerId, destination.target);
    if (contacts === undefined)
      throw new NotFoundError(
        'EXTENSION_NOT_FOUND',
        `destinations[${index}].target: extension ${JSON.stringify(destination.target)} does not exist`,
      );
    return { destination, target, candidates: [], contacts };
  }
  const refused = target === 'sip' ? rt.sipTargets?.refusal(destination.target) : undefined;
  if (refused !== undefined)
    throw ValidationError.field(`destinations[${index}].target`, 'SIP_TARGET_FORBIDDEN', refused);
  return { destination, target, candidates: [], contacts: [] };
}

/** Throws unless `master` may take a new chained call now (dialing, ringing or progressing). */
export function requireChainable(master: Call): void {
  if (master.status !== 'dialing' && master.status !== 'ringing' && master.status !== 'progressing') {
    throw new InvalidStateError(
      `master call ${master.id} is ${master.status}: calls can be chained only while it is dialing, ringing or progressing`,
      'CALL_STATE_INVALID',
    );
  }
}

async function buildOne(rt: CallRuntime, prepared: PreparedOutgoing, dest: PreparedDestination): Promise<LiveCall> {
  const { request } = prepared;
  const id = newId();
  const nowMs = rt.clock.now();
  const created = await rt.flows.create({
    customer_id: request.customer_id,
    call_id: id,
    source: prepared.flow,
    variables: request.variables ?? {},
  });
  const first =
    dest.target === 'tel' ? takeNextRoute(dest.candidates, 0, (p) => rt.routing.isHealthy(p), nowMs) : undefined;
  const attempts = first
    ? [...first.skipped, ...(first.candidate ? [runningAttempt(first.candidate, nowMs)] : [])]
    : [];
  const call = newCall(
    {
      id,
      customer_id: request.customer_id,
      type: request.type ?? 'flow',
      direction: 'outgoing',
      source: prepared.source,
      destination: dest.destination,
      status: 'dialing',
      flow_id: created.flow_id,
      activeflow_id: created.activeflow_id,
      ...(request.master_call_id !== undefined ? { master_call_id: request.master_call_id } : {}),
      ...(request.groupcall_id !== undefined ? { groupcall_id: request.groupcall_id } : {}),
      ...(request.metadata ? { metadata: request.metadata } : {}),
      route_attempts: attempts,
    },
    nowMs,
  );
  const plan: OutgoingPlan = {
    target: dest.target,
    candidates: dest.candidates,
    nextIndex: first?.nextIndex ?? 0,
    ...(first?.candidate ? { current: first.candidate } : {}),
    contacts: dest.contacts,
    earlyExecution: request.early_execution ?? false,
    anonymous: request.anonymous === 'yes',
    dialTimeoutMs: request.dial_timeout !== undefined ? request.dial_timeout * 1000 : rt.timers.dialTimeoutMs,
  };
  const maxDurationMs = request.max_duration !== undefined ? request.max_duration * 1000 : rt.timers.maxDurationMs;
  return new LiveCall(call, rt, { plan, maxDurationMs });
}

/**
 * Creates one call per prepared destination and, for a chained request, appends them to the master's
 * `chained_call_ids`, all in one store transaction. Runs on the master's queue so a master hangup
 * cannot slip between the state check and the append.
 */
export async function createOutgoingCalls(
  rt: CallRuntime,
  prepared: PreparedOutgoing,
  master: LiveCall | undefined,
): Promise<LiveCall[]> {
  if (master) requireChainable(master.call);
  const calls: LiveCall[] = [];
  try {
    for (const dest of prepared.destinations) calls.push(await buildOne(rt, prepared, dest));
    const changes: CallChange[] = calls.map((c) => createdChange(c.call));
    if (master) {
      const chained = [...master.call.chained_call_ids, ...calls.map((c) => c.id)];
      changes.push(
        updatedChange(master.call, { ...master.call, chained_call_ids: chained, tm_update: isoTime(rt.clock.now()) }),
      );
    }
    await rt.store.save(changes);
    changes.forEach((change, i) => (calls[i] ?? master)?.adopt(change));
    for (const change of changes) rt.published(change.events);
    return calls;
  } catch (err) {
    for (const c of calls)
      c.background(rt.flows.stop(c.call.activeflow_id), `stop activeflow of uncreated call ${c.id}`);
    throw err;
  }
}
