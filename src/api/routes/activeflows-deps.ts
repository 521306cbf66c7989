import type { Activeflow, ApiActiveflowRequest } from '../../flows/index.ts';
import type {
  ActiveflowListOptions,
  ActiveflowRecord,
  DeletedActiveflowRecord,
  Page,
  Scope,
} from '../../store/index.ts';

/**
 * VoIPBIN's fields of `POST /activeflows` the API passes on with the request
 * (docs/voipbin-compatibility.md "Activeflows"): the id the client chose (a UUID no activeflow
 * has, checked by the API) and the HTTP method of the deliveries to `webhook_uri`.
 */
export interface VoipbinActiveflowFields {
  id?: string;
  webhook_method?: string;
}

/**
 * The running side of activeflows: the flow engine on one node; in a cluster an implementation that
 * stops an activeflow on the node that runs it (docs/cluster.md "Any node serves the whole API").
 */
export interface ActiveflowRuntime {
  /** Validates, creates and starts an activeflow without a call. */
  startForApi(request: ApiActiveflowRequest & VoipbinActiveflowFields): Promise<Activeflow>;
  /** The activeflow as it is now (live when running here), or undefined. */
  get(activeflowId: string): Promise<Activeflow | undefined>;
  /**
   * Ends the activeflow and cancels its waiting action; idempotent. `customerId` is the activeflow's
   * customer, checked by the API already and again by a node that stops it for another one.
   */
  stop(activeflowId: string, options: { hangupCall?: boolean }, customerId: string): Promise<void>;
}

/** The stored side of activeflows: scoped reads, lists and the soft delete with its event. */
export interface ActiveflowRecords {
  /** A stored, not deleted activeflow within the scope. */
  get(activeflowId: string, scope?: Scope): Promise<ActiveflowRecord | undefined>;
  /** One customer's activeflows, newest first. */
  list(options: ActiveflowListOptions): Promise<Page<ActiveflowRecord>>;
  /** Hides the activeflow and emits `activeflow_deleted`; undefined when not found. */
  delete(activeflowId: string, scope?: Scope): Promise<DeletedActiveflowRecord | undefined>;
}

/** What `/activeflows` needs, passed in by main.ts as `ApiDeps.activeflows`. */
export interface ActiveflowsApiDeps {
  engine: ActiveflowRuntime;
  records: ActiveflowRecords;
}
