import { ConflictError } from '../shared/index.ts';

/** A unique index of a table and the API field a violation of it is reported on. */
export interface UniqueSpec {
  /** Index or constraint name (PostgreSQL reports it). */
  index: string;
  /** Indexed columns in order (SQLite reports them). */
  columns: readonly string[];
  /** The field named in the ConflictError. */
  field: string;
}

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/** The columns of a SQLite unique violation, e.g. `UNIQUE constraint failed: t.a, t.b` → [a, b]. */
function sqliteColumns(message: string): string[] {
  // better-sqlite3 exposes the violated columns only in the message SQLite itself formats.
  const list = message.split('constraint failed:')[1] ?? '';
  return list.split(',').map((c) => c.trim().split('.').pop() ?? '');
}

function violatedField(table: string, err: DriverError, uniques: readonly UniqueSpec[]): string | undefined {
  if (err.code === '23505') {
    if (err.constraint === `${table}_pkey`) return 'id';
    return uniques.find((u) => u.index === err.constraint)?.field ?? String(err.constraint);
  }
  if (err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'id';
  if (err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
    const cols = sqliteColumns(typeof err.message === 'string' ? err.message : '').join(',');
    return uniques.find((u) => u.columns.join(',') === cols)?.field ?? cols;
  }
  return undefined;
}

/** Turn a unique violation of either driver into ConflictError `ALREADY_EXISTS`; other errors pass through. */
export function mapUniqueViolation(table: string, err: unknown, uniques: readonly UniqueSpec[]): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const field = violatedField(table, err as DriverError, uniques);
  if (field === undefined) return err;
  const message = `${field} already exists`;
  return new ConflictError('ALREADY_EXISTS', `${table}: ${message}`, {
    cause: err,
    details: [{ field, reason: 'ALREADY_EXISTS', message }],
  });
}
