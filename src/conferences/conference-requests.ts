import { NIL_UUID, ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { CONFERENCE_TYPES } from './conference.ts';
import type { Conference, ConferenceType } from './conference.ts';

/** The longest `timeout` a conference may have: one week, in seconds. */
export const MAX_CONFERENCE_TIMEOUT_SEC = 7 * 24 * 3600;

/** What `POST /conferences` asks for; absent fields take their defaults. */
export interface CreateConferenceRequest {
  customer_id: string;
  type?: string;
  name?: string;
  detail?: string;
  data?: Record<string, unknown>;
  timeout?: number;
  pre_flow_id?: string;
  post_flow_id?: string;
}

/** What `PUT /conferences/{id}` may change (`data` is replaced whole; `{}` clears it). */
export interface ConferencePatch {
  name?: string;
  detail?: string;
  data?: Record<string, unknown>;
  timeout?: number;
  pre_flow_id?: string;
  post_flow_id?: string;
}

function checkTimeout(timeout: number | undefined, issues: FieldIssue[]): void {
  if (timeout === undefined) return;
  if (!Number.isInteger(timeout) || timeout < 0 || timeout > MAX_CONFERENCE_TIMEOUT_SEC) {
    issues.push({
      field: 'timeout',
      reason: 'INVALID_TIMEOUT',
      message: `timeout must be whole seconds from 0 (none) to ${MAX_CONFERENCE_TIMEOUT_SEC}`,
    });
  }
}

/** Validates a create request and builds the new, progressing conference. */
export function buildConference(request: CreateConferenceRequest, id: string, nowIso: string): Conference {
  const issues: FieldIssue[] = [];
  const type = request.type ?? 'conference';
  if (!(CONFERENCE_TYPES as readonly string[]).includes(type)) {
    issues.push({
      field: 'type',
      reason: 'INVALID_CONFERENCE_TYPE',
      message: `type must be one of ${CONFERENCE_TYPES.join(', ')}`,
    });
  }
  checkTimeout(request.timeout, issues);
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    id,
    customer_id: request.customer_id,
    type: type as ConferenceType,
    status: 'progressing',
    name: request.name ?? '',
    detail: request.detail ?? '',
    data: structuredClone(request.data ?? {}),
    timeout: request.timeout ?? 0,
    pre_flow_id: request.pre_flow_id ?? NIL_UUID,
    post_flow_id: request.post_flow_id ?? NIL_UUID,
    conferencecall_ids: [],
    recording_id: NIL_UUID,
    recording_ids: [],
    tm_create: nowIso,
    tm_update: nowIso,
  };
}

/** Validates a patch and applies it to `conference` in place. */
export function applyPatch(conference: Conference, patch: ConferencePatch, nowIso: string): void {
  const issues: FieldIssue[] = [];
  checkTimeout(patch.timeout, issues);
  if (issues.length > 0) throw new ValidationError(issues);
  if (patch.name !== undefined) conference.name = patch.name;
  if (patch.detail !== undefined) conference.detail = patch.detail;
  if (patch.data !== undefined) conference.data = structuredClone(patch.data);
  if (patch.timeout !== undefined) conference.timeout = patch.timeout;
  if (patch.pre_flow_id !== undefined) conference.pre_flow_id = patch.pre_flow_id;
  if (patch.post_flow_id !== undefined) conference.post_flow_id = patch.post_flow_id;
  conference.tm_update = nowIso;
}
