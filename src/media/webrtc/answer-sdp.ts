import { isIPv6 } from 'node:net';

/** Writes the host candidate into `c=` and the `m=` port, as the default candidate (RFC 8839 §4.2.1.2). */
export function withDefaultCandidate(sdp: string, address: string, port: number): string {
  const family = isIPv6(address) ? 'IP6' : 'IP4';
  return sdp
    .replace(/^c=IN IP[46] \S+$/gm, `c=IN ${family} ${address}`)
    .replace(/^o=(\S+ \S+ \S+) IN IP[46] \S+$/m, `o=$1 IN ${family} ${address}`)
    .replace(/^m=audio \d+ /m, `m=audio ${port} `);
}

/**
 * Our answer with only the formats we negotiated (RFC 3264 §6.1): werift matches offered formats by
 * name alone, so a browser offering telephone-event at 48 and 8 kHz would get both back, then send
 * its DTMF on the one the RtpSession does not read.
 */
export function onlyFormats(sdp: string, codecs: readonly { payloadType: number }[]): string {
  const keep = new Set(codecs.map((c) => String(c.payloadType)));
  return sdp
    .replace(/^(m=audio \d+ \S+)((?: \d+)+)(\r?)$/m, (_m, head: string, pts: string, cr: string) => {
      const kept = pts
        .trim()
        .split(' ')
        .filter((pt) => keep.has(pt));
      return `${head} ${kept.join(' ')}${cr}`;
    })
    .replace(/^a=(?:rtpmap|fmtp|rtcp-fb):(\d+) .*\r?\n/gm, (line, pt: string) => (keep.has(pt) ? line : ''));
}
