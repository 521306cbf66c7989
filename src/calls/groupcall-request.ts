import { ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { addressIssues, validateAddress } from './address.ts';
import type { Address } from './address.ts';
import { MAX_GROUPCALL_DESTINATIONS } from './groupcall.ts';
import type { GroupcallAnswerMethod, GroupcallRingMethod } from './groupcall.ts';
import type { FlowSource } from './ports.ts';

/** `POST /groupcalls` as the domain takes it (docs/api.md "Groupcalls"); everything is validated here. */
export interface GroupcallRequest {
  customer_id: string;
  source: unknown;
  destinations: readonly unknown[];
  flow_id?: string;
  actions?: readonly unknown[];
  /** `ring_all` (also written `ringall`), `linear`, or `""` for `ring_all`. */
  ring_method?: string;
  /** `hangup_others` or `""`. */
  answer_method?: string;
}

/** A request after validation: nothing has been created or dialled yet. */
export interface ValidGroupcallRequest {
  customer_id: string;
  source: Address;
  destinations: Address[];
  flow: FlowSource;
  ring_method: GroupcallRingMethod;
  answer_method: GroupcallAnswerMethod;
}

/** Accepted spellings of the ring methods: VoIPBIN's enum writes `ring_all`, its agents `ringall`. */
const RING_METHODS: ReadonlyMap<string, GroupcallRingMethod> = new Map([
  ['', 'ring_all'],
  ['ring_all', 'ring_all'],
  ['ringall', 'ring_all'],
  ['linear', 'linear'],
]);

const ANSWER_METHODS: ReadonlyMap<string, GroupcallAnswerMethod> = new Map([
  ['', ''],
  ['hangup_others', 'hangup_others'],
]);

/** The address types a groupcall dials: each destination becomes one outgoing call. */
const DIALABLE = ['tel', 'sip', 'extension'];

function destinationIssues(destinations: readonly unknown[]): FieldIssue[] {
  if (!Array.isArray(destinations) || destinations.length === 0)
    return [{ field: 'destinations', reason: 'TOO_FEW_ITEMS', message: 'must list at least one destination' }];
  if (destinations.length > MAX_GROUPCALL_DESTINATIONS)
    return [
      {
        field: 'destinations',
        reason: 'TOO_MANY_ITEMS',
        message: `a groupcall dials at most ${MAX_GROUPCALL_DESTINATIONS} destinations`,
      },
    ];
  return destinations.flatMap((d, i) => {
    const field = `destinations[${i}]`;
    const issues = addressIssues(d, field);
    if (issues.length > 0) return issues;
    const type = (d as Partial<Address>).type ?? '';
    if (DIALABLE.includes(type)) return [];
    return [
      {
        field: `${field}.type`,
        reason: 'INVALID_ADDRESS' as const,
        message: `a groupcall dials ${DIALABLE.join(', ')}, not ${JSON.stringify(type)}`,
      },
    ];
  });
}

function methodIssues(request: GroupcallRequest): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!RING_METHODS.has(request.ring_method ?? ''))
    issues.push({ field: 'ring_method', reason: 'INVALID_VALUE', message: 'must be ring_all, ringall or linear' });
  if (!ANSWER_METHODS.has(request.answer_method ?? ''))
    issues.push({ field: 'answer_method', reason: 'INVALID_VALUE', message: 'must be hangup_others or ""' });
  return issues;
}

/** The flow every call of the groupcall runs: `flow_id` when given, even beside `actions` (as `POST /calls`). */
function flowOf(request: GroupcallRequest): FlowSource {
  if (request.flow_id !== undefined) return { flow_id: request.flow_id };
  if (request.actions !== undefined) return { actions: request.actions };
  throw ValidationError.field('flow_id', 'INVALID_ARGUMENT', 'give flow_id or actions');
}

/**
 * Validates a groupcall request before anything is created: the bound on destinations, each
 * address and its type (with its index in the field), the methods, the source and the flow. Whether a
 * destination can be reached (its extension, route or SIP host) is found when it is dialled.
 */
export function validateGroupcallRequest(request: GroupcallRequest): ValidGroupcallRequest {
  const issues = [...destinationIssues(request.destinations), ...methodIssues(request)];
  if (issues.length > 0) throw new ValidationError(issues);
  const source = validateAddress(request.source, 'source');
  const flow = flowOf(request);
  return {
    customer_id: request.customer_id,
    source,
    destinations: request.destinations.map((d, i) => validateAddress(d, `destinations[${i}]`)),
    flow,
    ring_method: RING_METHODS.get(request.ring_method ?? '') ?? 'ring_all',
    answer_method: ANSWER_METHODS.get(request.answer_method ?? '') ?? '',
  };
}
