/** The comparison operators of the condition actions. */
export type ComparisonOperator = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** `a <op> b`; any comparison with NaN is false, except `!=`. */
export function compare<T extends string | number>(op: ComparisonOperator, a: T, b: T): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}

/** -1, 0 or 1: `a` against `b` element by element (the first difference decides). */
export function compareTuples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
