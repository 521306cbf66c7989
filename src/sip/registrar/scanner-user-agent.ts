// User-Agent values of SIP scanning and brute-forcing tools seen on the public internet.
const SCANNER_MARKERS = ['friendly-scanner', 'sipcli', 'sipvicious', 'vaxsipuseragent', 'sip-scan'];

/** True when a User-Agent header names a known SIP scanner (case-insensitive). */
export function isScannerUserAgent(userAgent: string | undefined): boolean {
  if (userAgent === undefined) return false;
  const lower = userAgent.toLowerCase();
  return SCANNER_MARKERS.some((marker) => lower.includes(marker));
}
