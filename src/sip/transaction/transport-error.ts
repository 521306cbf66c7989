import { AppError } from '../../shared/index.ts';

/** The transport's rejection as an AppError with code TRANSPORT_ERROR. */
export function asTransportError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('TRANSPORT_ERROR', err instanceof Error ? err.message : 'transport error', { cause: err });
}
