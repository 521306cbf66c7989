/** A `sip:` URI for an API SIP address (`user@host[:port]`, with or without its scheme). */
export function sipUri(target: string): string {
  return /^sips?:/i.test(target) ? target : `sip:${target}`;
}
