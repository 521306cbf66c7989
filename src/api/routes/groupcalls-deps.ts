import type { Groupcall, GroupcallRequest } from '../../calls/index.ts';
import type { Deleted, Page, Scope } from '../../store/index.ts';

/**
 * What `/groupcalls` drives (docs/api.md "Groupcalls"): the groupcall service of this node, or in a
 * cluster one that sends a hangup to the node running the groupcall (docs/cluster.md "Any node serves
 * the whole API").
 */
export interface GroupcallCommands {
  /** Validates, dials and stores a groupcall on this node. */
  create(request: GroupcallRequest): Promise<Groupcall>;
  /** Hangs up every call of the groupcall where they ring; 404 for another customer's, 409 once it is over. */
  hangup(groupcallId: string, customerId: string): Promise<Groupcall>;
}

/** Stored groupcalls as the API reads and deletes them (the telephony GroupcallStoreAdapter implements this). */
export interface GroupcallRecords {
  /** A not-deleted groupcall within the scope. */
  get(groupcallId: string, scope: Scope): Promise<Groupcall | undefined>;
  /** One customer's not-deleted groupcalls, newest first. */
  list(options: { customerId: string; pageSize: number; pageToken?: string }): Promise<Page<Groupcall>>;
  /** Hides the groupcall from lists and publishes `groupcall_deleted`; undefined when not found in the scope. */
  delete(groupcallId: string, scope: Scope): Promise<Deleted<Groupcall> | undefined>;
}

/** What `/groupcalls` needs. */
export interface GroupcallsApiDeps {
  service: GroupcallCommands;
  records: GroupcallRecords;
}
