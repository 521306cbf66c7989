import { Type } from 'typebox';
import type { Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { ValidationError } from '../shared/index.ts';
import type { FieldIssue } from '../shared/index.ts';
import { schemaIssues } from './schema-issues.ts';
import { ADDRESS_TYPES, addressTargetIssue as callsTargetIssue, fullAddress } from '../calls/index.ts';
import type { Address } from '../calls/index.ts';

// The address rules are the calls domain's (flows → calls); this file adds the TypeBox schema the
// flow validator and the published JSON Schema use.
export { ADDRESS_TYPES, E164_RE, EXTENSION_RE, SIP_ADDRESS_RE } from '../calls/index.ts';
export type { Address } from '../calls/index.ts';

/** TypeBox schema of an address object; every field is an optional string. */
export const AddressSchema = Type.Object(
  {
    type: Type.Optional(Type.Enum(ADDRESS_TYPES, { description: 'kind of address' })),
    target: Type.Optional(
      Type.String({ maxLength: 256, description: 'E.164 number, SIP address, extension or conference id' }),
    ),
    target_name: Type.Optional(
      Type.String({ maxLength: 256, description: 'display name (caller-id name on outgoing calls)' }),
    ),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    detail: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false, 'x-reason': 'INVALID_ADDRESS', 'x-check': 'address', title: 'Address' },
);

const addressValidator = Compile(AddressSchema);

/**
 * The issue of an address whose `target` does not fit its `type`, or undefined; expects a value
 * that already passed the address schema.
 */
export function addressTargetIssue(address: Static<typeof AddressSchema>, field: string): FieldIssue | undefined {
  return callsTargetIssue(fullAddress(address), field);
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
  return fullAddress(value as Static<typeof AddressSchema>);
}
