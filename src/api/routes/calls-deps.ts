import type { Call, CallService } from '../../calls/index.ts';
import type { CallListOptions, Page, Scope } from '../../store/index.ts';

/** Stored calls as the API reads and deletes them (the telephony CallStoreAdapter implements this). */
export interface CallRecords {
  /** A not-deleted call within the scope. */
  get(callId: string, scope: Scope): Promise<Call | undefined>;
  /** One customer's not-deleted calls, newest first. */
  list(options: CallListOptions): Promise<Page<Call>>;
  /** Hide the call from lists and publish `call_deleted`; undefined when not found in the scope. */
  delete(callId: string, scope: Scope): Promise<(Call & { tm_delete: string }) | undefined>;
}

/** What `/calls` needs: the live calls service and the stored calls. */
export interface CallsApiDeps {
  service: CallService;
  repo: CallRecords;
}
