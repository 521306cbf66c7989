/** The positive number after `flag` in `argv`, or `fallback` when the flag is absent or its value is not one. */
export function numberFlag(argv: readonly string[], flag: string, fallback: number): number {
  const i = argv.indexOf(flag);
  const n = i >= 0 ? Number(argv[i + 1]) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
