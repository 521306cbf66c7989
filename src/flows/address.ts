import { Type } from 'typebox';
import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { schemaIssues } from './schema-issues.ts';

/** E.164 as the API requires it: a leading `+`, 7 to 15 digits, no spaces or punctuation. */
export const E164_RE = /^\+[1-9][0-9]{6,14}$/;

/** An extension name: 1 to 32 letters or digits. */
export const EXTENSION_RE = /^[A-Za-z0-9]{1,32}$/;

/** A SIP address `user@host[:port]` with an optional `sip:`/`sips:` scheme and URI parameters. */
export const SIP_ADDRESS_RE =
  /^(?:sips?:)?[A-Za-z0-9\-_.!~*'()&=+$,?/%]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?:;[A-Za-z0-9\-_.!~*'%]+(?:=[A-Za-z0-9\-_.!~*'%[\]/:&+$]*)?)*$/;

/** The kinds of address the API knows (`agent` is reserved). */
export const ADDRESS_TYPES = ['tel', 'sip', 'extension', 'conference', 'agent', ''] as const;

/** TypeBox schema of an address object; every field is an optional string. */
export const AddressSchema = Type.Object(
  {
    type: Type.Optional(Type.Enum(ADDRESS_TYPES, { description: 'kind of address' })),
    target: Type.Optional(Type.String({ maxLength: 256, description: 'E.164 number, SIP address, extension or conference id' })),
    target_name: Type.Optional(Type.String({ maxLength: 256, description: 'display name (caller-id name on outgoing calls)' })),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    detail: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false, 'x-reason': 'INVALID_ADDRESS', 'x-check': 'address', title: 'Address' },
);

/** A call party: `{type, target, target_name, name, detail}`, all strings (missing ones are `""`). */
export interface Address {
  type: (typeof ADDRESS_TYPES)[number];
  target: string;
  target_name: string;
  name: string;
  detail: string;
}

const addressValidator = Compile(AddressSchema);
const MAX_PORT = 65535;

/**
 * The issue of an address whose `target` does not fit its `type`, or undefined; expects a value
 * that already passed the address schema.
 */
export function addressTargetIssue(address: Static<typeof AddressSchema>, field: string): FieldIssue | undefined {
  const target = address.target ?? '';
  const at = `${field}.target`;
  const shown = JSON.stringify(target);
  switch (address.type) {
    case 'tel':
      return E164_RE.test(target)
        ? undefined
        : { field: at, reason: 'INVALID_E164', message: `${shown} is not E.164: it must be '+' followed by 7 to 15 digits with no spaces or punctuation` };
    case 'extension':
      return EXTENSION_RE.test(target)
        ? undefined
        : { field: at, reason: 'INVALID_EXTENSION', message: `${shown} is not an extension name: it must be 1 to 32 letters or digits` };
    case 'sip':
      return SIP_ADDRESS_RE.test(target) && sipPortInRange(target)
        ? undefined
        : { field: at, reason: 'INVALID_SIP_URI', message: `${shown} is not a SIP address: it must be user@host[:port], optionally with a sip: or sips: prefix` };
    default:
      return undefined;
  }
}

function sipPortInRange(target: string): boolean {
  const port = /\]?:([0-9]{1,5})(?:;|$)/.exec(target.slice(target.indexOf('@')))?.[1];
  return port === undefined || Number(port) <= MAX_PORT;
}

/** Every problem of an address value: shape first, then the target against its type. */
export function addressIssues(value: unknown, field: string): FieldIssue[] {
  const shapeIssues = schemaIssues(AddressSchema, addressValidator, value, field);
  if (shapeIssues.length > 0) return shapeIssues;
  const targetIssue = addressTargetIssue(value as Static<typeof AddressSchema>, field);
  return targetIssue === undefined ? [] : [targetIssue];
}

/** Validates one address (e.g. a call's `source`) and returns it with missing strings set to `""`. */
export function validateAddress(value: unknown, field: string): Address {
  const issues = addressIssues(value, field);
  if (issues.length > 0) throw new ValidationError(issues);
  const address = value as Static<typeof AddressSchema>;
  return {
    type: address.type ?? '',
    target: address.target ?? '',
    target_name: address.target_name ?? '',
    name: address.name ?? '',
    detail: address.detail ?? '',
  };
}
