import { NIL_UUID, ValidationError } from '../../shared/index.ts';
import type { ErrorCode } from '../../shared/index.ts';

/** 400 naming the body field that refers to a resource that does not exist (or is not the caller's). */
export function missingRef(field: string, reason: ErrorCode, what: string, id: string): ValidationError {
  return ValidationError.field(field, reason, `${what} ${id} not found`);
}

/** Check that an optional reference exists; the nil UUID means "none" and always passes. */
export async function checkRef(
  field: string,
  reason: ErrorCode,
  what: string,
  id: unknown,
  exists: (id: string) => Promise<unknown>,
): Promise<void> {
  if (typeof id !== 'string' || id === NIL_UUID) return;
  if (!(await exists(id))) throw missingRef(field, reason, what, id);
}
