import { ValidationError, isUuid } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';

/** E.164 as the API requires it: a leading `+`, 7 to 15 digits, no spaces or punctuation. */
export const E164_RE = /^\+[1-9][0-9]{6,14}$/;

/** An extension name: 1 to 32 letters or digits. */
export const EXTENSION_RE = /^[A-Za-z0-9]{1,32}$/;

/** A SIP address `user@host[:port]` with an optional `sip:`/`sips:` scheme and URI parameters. */
export const SIP_ADDRESS_RE =
  /^(?:sips?:)?[A-Za-z0-9\-_.!~*'()&=+$,?/%]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?:;[A-Za-z0-9\-_.!~*'%]+(?:=[A-Za-z0-9\-_.!~*'%[\]/:&+$]*)?)*$/;

/** The kinds of address the API knows (`agent` is reserved). */
export const ADDRESS_TYPES = ['tel', 'sip', 'extension', 'conference', 'agent', ''] as const;

/** One kind of address. */
export type AddressType = (typeof ADDRESS_TYPES)[number];

/** A call party: `{type, target, target_name, name, detail}`, all strings (missing ones are `""`). */
export interface Address {
  type: AddressType;
  target: string;
  target_name: string;
  name: string;
  detail: string;
}

const ADDRESS_FIELDS = ['type', 'target', 'target_name', 'name', 'detail'] as const;
const MAX_TEXT_LENGTH = { type: 16, target: 256, target_name: 256, name: 256, detail: 1024 } as const;
const MAX_PORT = 65535;

/** The issue of an address whose `target` does not fit its `type`, or undefined. */
export function addressTargetIssue(address: Pick<Address, 'type' | 'target'>, field: string): FieldIssue | undefined {
  const at = `${field}.target`;
  const shown = JSON.stringify(address.target);
  switch (address.type) {
    case 'tel':
      return E164_RE.test(address.target)
        ? undefined
        : {
            field: at,
            reason: 'INVALID_E164',
            message: `${shown} is not E.164: it must be '+' followed by 7 to 15 digits with no spaces or punctuation`,
          };
    case 'extension':
      // An extension by name, or by its id (VoIPBIN addresses extensions by id, docs/calls.md "Creating calls").
      return EXTENSION_RE.test(address.target) || isUuid(address.target)
        ? undefined
        : {
            field: at,
            reason: 'INVALID_EXTENSION',
            message: `${shown} is not an extension: it must be a name of 1 to 32 letters or digits, or an extension id`,
          };
    case 'sip':
      return SIP_ADDRESS_RE.test(address.target) && sipPortInRange(address.target)
        ? undefined
        : {
            field: at,
            reason: 'INVALID_SIP_URI',
            message: `${shown} is not a SIP address: it must be user@host[:port], optionally with a sip: or sips: prefix`,
          };
    default:
      return undefined;
  }
}

function sipPortInRange(target: string): boolean {
  const port = /\]?:([0-9]{1,5})(?:;|$)/.exec(target.slice(target.indexOf('@')))?.[1];
  return port === undefined || Number(port) <= MAX_PORT;
}

function shapeIssues(value: unknown, field: string): FieldIssue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      { field, reason: 'INVALID_ADDRESS', message: 'must be an object {type, target, target_name, name, detail}' },
    ];
  }
  const issues: FieldIssue[] = [];
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(ADDRESS_FIELDS as readonly string[]).includes(key)) {
      issues.push({
        field: `${field}.${key}`,
        reason: 'INVALID_ADDRESS',
        message: `unknown field; an address has only ${ADDRESS_FIELDS.join(', ')}`,
      });
    }
  }
  for (const key of ADDRESS_FIELDS) {
    const v = record[key];
    if (v === undefined) continue;
    if (typeof v !== 'string')
      issues.push({ field: `${field}.${key}`, reason: 'INVALID_ADDRESS', message: 'must be a string' });
    else if (v.length > MAX_TEXT_LENGTH[key])
      issues.push({
        field: `${field}.${key}`,
        reason: 'INVALID_ADDRESS',
        message: `must be at most ${MAX_TEXT_LENGTH[key]} characters`,
      });
  }
  const type = record['type'];
  if (typeof type === 'string' && !(ADDRESS_TYPES as readonly string[]).includes(type)) {
    issues.push({
      field: `${field}.type`,
      reason: 'INVALID_ADDRESS',
      message: `${JSON.stringify(type)} is not one of ${ADDRESS_TYPES.filter((t) => t).join(', ')} or ""`,
    });
  }
  return issues;
}

/** Every problem of an address value: shape first, then the target against its type. */
export function addressIssues(value: unknown, field: string): FieldIssue[] {
  const issues = shapeIssues(value, field);
  if (issues.length > 0) return issues;
  const targetIssue = addressTargetIssue(fullAddress(value as Partial<Address>), field);
  return targetIssue === undefined ? [] : [targetIssue];
}

/** An address with its missing fields as `""` (the one normalisation, used by flows too). */
export function fullAddress(address: Partial<Address>): Address {
  return {
    type: address.type ?? '',
    target: address.target ?? '',
    target_name: address.target_name ?? '',
    name: address.name ?? '',
    detail: address.detail ?? '',
  };
}

/** Validates one address (e.g. a call's `source`) and returns it with missing strings set to `""`. */
export function validateAddress(value: unknown, field: string): Address {
  const issues = addressIssues(value, field);
  if (issues.length > 0) throw new ValidationError(issues);
  return fullAddress(value as Partial<Address>);
}
