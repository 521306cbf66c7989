/**
 * Conferences across nodes (docs/cluster.md "Conferences across nodes"): a conference's room lives
 * on the node that created it. A call on another node joins by asking that node for admission on
 * `callbin.node.<owner>.conf`; the owner checks that the customer's conference is progressing in a
 * room it holds and answers a one-time token (30 s) and its SIP address. The joining node then
 * sends an INVITE there carrying the token in `X-Callbin-Join`; the owner's INVITE routing consumes
 * the token and puts that leg into the room as the participant of the caller's call.
 */
import { randomBytes } from 'node:crypto';
import { BusError, nodeSubjectToken } from '../bus/index.ts';
import type { Bus } from '../bus/index.ts';
import type { Conference, ConferenceScope } from '../conferences/index.ts';
import {
  AppError,
  InvalidStateError,
  NotFoundError,
  UnavailableError,
  ValidationError,
  silentLogger,
} from '../shared/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { COMMAND_TIMEOUT_MS, errorFromWire, errorToWire } from './command-wire.ts';
import type { WireError } from './command-wire.ts';
import type { OwnerLookup } from './remote-calls.ts';

/** How long an admission token may be used, once. */
export const JOIN_TOKEN_TTL_MS = 30_000;

/** Admission requests to the node that holds conference rooms: `callbin.node.<node>.conf`. */
export function nodeConferenceSubject(nodeId: string): string {
  return `callbin.node.${nodeSubjectToken(nodeId)}.conf`;
}

/** What a joining node asks for: its call `callId` of `customerId` into `conferenceId`. */
export interface AdmissionRequest {
  conferenceId: string;
  callId: string;
  customerId: string;
}

/** What the owner grants: the token and where to send the INVITE. */
export interface AdmissionGrant {
  token: string;
  /** The owner's SIP URI (`sip:host:port`). */
  sipUri: string;
}

/** What a consumed token admits. */
export type JoinTicket = AdmissionRequest;

type AdmissionReply = { ok: true; result: AdmissionGrant } | { ok: false; error: WireError };

/** Options of {@link ConferenceAdmissions}. */
export interface ConferenceAdmissionsOptions {
  bus: Bus;
  nodeId: string;
  /** This node's SIP URI, where admitted legs send their INVITE. */
  sipUri: string;
  /** The owner node of a conference (its row's `node_id`). */
  owners: OwnerLookup;
  conferences: { get(id: string, scope?: ConferenceScope): Promise<Conference | undefined> };
  clock: Clock;
  logger?: Logger;
}

function parseRequest(data: string): AdmissionRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return 'the admission request is not JSON';
  }
  const { op, conferenceId, callId, customerId } = (value ?? {}) as Record<string, unknown>;
  if (op !== 'admit') return `unknown conference op ${JSON.stringify(op)}`;
  for (const [name, v] of Object.entries({ conferenceId, callId, customerId })) {
    if (typeof v !== 'string' || v === '' || v.length > 64) return `the admission request has no ${name}`;
  }
  return { conferenceId, callId, customerId } as AdmissionRequest;
}

/**
 * The owner's side: serves admission requests and keeps the tokens it granted until they are used
 * or expire. A token admits one leg, once, within {@link JOIN_TOKEN_TTL_MS}.
 */
export class ConferenceAdmissions {
  readonly #o: ConferenceAdmissionsOptions;
  readonly #logger: Logger;
  readonly #tickets = new Map<string, JoinTicket & { expiresAtMs: number }>();

  constructor(options: ConferenceAdmissionsOptions) {
    this.#o = options;
    this.#logger = (options.logger ?? silentLogger).child({ module: 'conference-admissions' });
  }

  /** Serves `callbin.node.<this node>.conf`; returns the function that stops serving. */
  serve(): () => void {
    return this.#o.bus.serve(nodeConferenceSubject(this.#o.nodeId), async (data) => {
      const request = parseRequest(data);
      let reply: AdmissionReply;
      try {
        if (typeof request === 'string') throw ValidationError.field('request', 'INVALID_ARGUMENT', request);
        reply = { ok: true, result: await this.admit(request) };
      } catch (err) {
        if (!(err instanceof AppError)) this.#logger.error({ err }, 'conference admission failed');
        reply = { ok: false, error: errorToWire(err) };
      }
      return JSON.stringify(reply);
    });
  }

  /** Grants a token when the customer's conference is progressing in a room of this node. */
  async admit(request: AdmissionRequest): Promise<AdmissionGrant> {
    const { conferenceId, customerId } = request;
    const conference = await this.#o.conferences.get(conferenceId, { customerId });
    if (!conference || (await this.#o.owners.ownerOf(conferenceId)) !== this.#o.nodeId)
      throw new NotFoundError('CONFERENCE_NOT_FOUND', `conference ${conferenceId} not found on node ${this.#o.nodeId}`);
    if (conference.status !== 'progressing')
      throw new InvalidStateError(`conference ${conferenceId} has ended`, 'CONFERENCE_NOT_PROGRESSING');
    this.#sweep();
    const token = randomBytes(32).toString('base64url');
    this.#tickets.set(token, { ...request, expiresAtMs: this.#o.clock.now() + JOIN_TOKEN_TTL_MS });
    return { token, sipUri: this.#o.sipUri };
  }

  /** The admission a token stands for, once; undefined when unknown, used or expired. */
  consume(token: string): JoinTicket | undefined {
    const ticket = this.#tickets.get(token);
    if (!ticket) return undefined;
    this.#tickets.delete(token);
    if (ticket.expiresAtMs <= this.#o.clock.now()) return undefined;
    const { expiresAtMs: _expires, ...admitted } = ticket;
    return admitted;
  }

  /** Tokens granted and not yet used or swept. */
  get size(): number {
    return this.#tickets.size;
  }

  #sweep(): void {
    const now = this.#o.clock.now();
    for (const [token, ticket] of this.#tickets) if (ticket.expiresAtMs <= now) this.#tickets.delete(token);
  }
}

/** The joining node's side: asks `owner` for admission; its errors come back as the owner's AppError. */
export async function requestAdmission(
  bus: Bus,
  owner: string,
  request: AdmissionRequest,
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<AdmissionGrant> {
  let text: string;
  try {
    text = await bus.request(nodeConferenceSubject(owner), JSON.stringify({ op: 'admit', ...request }), timeoutMs);
  } catch (err) {
    if (!(err instanceof BusError)) throw err;
    throw new UnavailableError(
      'NODE_UNAVAILABLE',
      `node ${owner}, which holds conference ${request.conferenceId}, does not answer (${err.code})`,
      { cause: err },
    );
  }
  let reply: AdmissionReply | undefined;
  try {
    reply = JSON.parse(text) as AdmissionReply;
  } catch {
    reply = undefined;
  }
  if (reply?.ok === true && typeof reply.result?.token === 'string' && typeof reply.result.sipUri === 'string')
    return reply.result;
  if (reply?.ok === false) throw errorFromWire(reply.error);
  throw new AppError('INTERNAL', `node ${owner} answered a conference admission with something else`);
}
