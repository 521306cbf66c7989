/** A fixed, readable action id for tests: `aid(3)` = `00000000-0000-4000-8000-000000000003`. */
export function aid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
}

/** An action in stored form with the id `aid(n)`. */
export function act(
  n: number,
  type: string,
  option: Record<string, unknown> = {},
  nextId?: number,
): Record<string, unknown> {
  return { id: aid(n), type, option, ...(nextId !== undefined ? { next_id: aid(nextId) } : {}) };
}
