import { randomUUID } from 'node:crypto';

/** The nil UUID: an unset id field (always present in JSON, never omitted). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/** A fresh random (v4) UUID. */
export function newId(): string {
  return randomUUID();
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `s` is a UUID in canonical textual form. */
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
