import { isUuid, newId, NIL_UUID } from '../shared/index.ts';
import { isActionType } from './actions/action-types.ts';
import type { ActionType } from './actions/action-types.ts';
import { missingServiceMessage } from './actions/missing-services.ts';
import type { IssueList } from './issue-list.ts';
import { childField, showValue } from './schema-issues.ts';

/** An action whose outer fields are sound: ids settled, type known, option an object. */
export interface ActionEnvelope {
  id: string;
  next_id: string;
  type: ActionType;
  option: Record<string, unknown>;
}

const ENVELOPE_KEYS = ['id', 'next_id', 'type', 'option'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The id an action was given, when it is a string (used to resolve jumps even on a broken action). */
export function givenId(raw: unknown): string | undefined {
  return isPlainObject(raw) && typeof raw['id'] === 'string' ? raw['id'] : undefined;
}

function readId(raw: Record<string, unknown>, field: string, issues: IssueList): string | undefined {
  const id = raw['id'];
  if (id === undefined) return newId();
  if (typeof id === 'string' && isUuid(id)) return id;
  issues.add({
    field: childField(field, 'id', false),
    reason: 'INVALID_ACTION',
    message: `${showValue(id)} is not a UUID`,
  });
  return undefined;
}

function readNextId(raw: Record<string, unknown>, field: string, issues: IssueList): string | undefined {
  const nextId = raw['next_id'];
  if (nextId === undefined || nextId === '') return NIL_UUID;
  if (typeof nextId === 'string') return nextId;
  issues.add({
    field: childField(field, 'next_id', false),
    reason: 'INVALID_ACTION_TARGET',
    message: `${showValue(nextId)} is not a string`,
  });
  return undefined;
}

function readType(raw: Record<string, unknown>, field: string, issues: IssueList): ActionType | undefined {
  const type = raw['type'];
  if (isActionType(type)) return type;
  const missing = missingServiceMessage(type);
  if (missing !== undefined) {
    issues.add({ field: childField(field, 'type', false), reason: 'ACTION_NOT_SUPPORTED', message: missing });
    return undefined;
  }
  const message = type === undefined ? 'is required' : `${showValue(type)} is not an action type`;
  issues.add({ field: childField(field, 'type', false), reason: 'INVALID_ACTION', message });
  return undefined;
}

function readOption(
  raw: Record<string, unknown>,
  field: string,
  issues: IssueList,
): Record<string, unknown> | undefined {
  const option = raw['option'];
  if (option === undefined || option === null) return {};
  if (isPlainObject(option)) return option;
  issues.add({
    field: childField(field, 'option', false),
    reason: 'INVALID_ACTION',
    message: `${showValue(option)} is not an object`,
  });
  return undefined;
}

/**
 * Reads an action's outer fields, filling a missing `id` with a fresh UUID, a missing `next_id`
 * with the nil UUID and a missing `option` with `{}`; reports what is wrong and returns undefined
 * when the action cannot be checked further.
 */
export function readEnvelope(raw: unknown, field: string, issues: IssueList): ActionEnvelope | undefined {
  if (!isPlainObject(raw)) {
    issues.add({ field, reason: 'INVALID_ACTION', message: `${showValue(raw)} is not an action object` });
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (ENVELOPE_KEYS.includes(key)) continue;
    issues.add({
      field: childField(field, key, false),
      reason: 'INVALID_ACTION',
      message: `unknown field ${JSON.stringify(key)}; allowed: ${ENVELOPE_KEYS.join(', ')}`,
    });
  }
  const id = readId(raw, field, issues);
  const nextId = readNextId(raw, field, issues);
  const type = readType(raw, field, issues);
  const option = readOption(raw, field, issues);
  if (id === undefined || nextId === undefined || type === undefined || option === undefined) return undefined;
  return { id, next_id: nextId, type, option };
}
