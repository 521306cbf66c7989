/** NATS subject syntax (docs/cluster.md "Bus"): `.`-separated tokens; `*` is one token, `>` the rest. */

/** True when `subject` is a valid subject to send on: non-empty tokens, no whitespace, no wildcard. */
export function isSendSubject(subject: string): boolean {
  return isPattern(subject) && !subject.split('.').some((t) => t === '*' || t === '>');
}

/** True when `pattern` is a valid subject to listen on (`>` only as the last token). */
export function isPattern(pattern: string): boolean {
  if (pattern === '' || /\s/.test(pattern)) return false;
  const tokens = pattern.split('.');
  return tokens.every((t, i) => t !== '' && (t !== '>' || i === tokens.length - 1));
}

/** True when `subject` matches `pattern`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i]!;
    if (token === '>') return s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}
