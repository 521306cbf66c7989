import { NIL_UUID } from '../../shared/index.ts';
import { ApiError } from '../errors.ts';

/** 400 naming the body field that refers to a resource that does not exist (or is not the caller's). */
export function missingRef(field: string, reason: string, what: string, id: string): ApiError {
  const message = `${what} ${id} not found`;
  return new ApiError('INVALID_ARGUMENT', reason, `${field}: ${message}`, [{ field, reason, message }]);
}

/** Check that an optional reference exists; the nil UUID means "none" and always passes. */
export async function checkRef(field: string, reason: string, what: string, id: unknown, exists: (id: string) => Promise<unknown>): Promise<void> {
  if (typeof id !== 'string' || id === NIL_UUID) return;
  if (!(await exists(id))) throw missingRef(field, reason, what, id);
}
