/**
 * A deep copy of JSON-like data (plain objects, arrays, primitives), several times cheaper than
 * `structuredClone` for the small records copied on every call change. Anything else (Date, Map,
 * typed arrays, class instances) is handed to `structuredClone`, so the result is the same.
 */
export function clonePlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = clonePlain(value[i]);
    return out as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = clonePlain((value as Record<string, unknown>)[key]);
  return out as T;
}
