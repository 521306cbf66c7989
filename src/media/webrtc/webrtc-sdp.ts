import { AppError } from '../../shared/index.ts';

/** ICE credentials and DTLS fingerprints a WebRTC description carries for its audio stream. */
export interface WebRtcCredentials {
  iceUfrag: string;
  icePwd: string;
  /** `a=fingerprint` values, e.g. `sha-256 9B:43:…` (RFC 8122 §5). */
  fingerprints: string[];
}

/** The protocol of DTLS-SRTP media (RFC 5764 §8, RFC 8829 §5.1.2). */
const DTLS_SRTP = /^UDP\/TLS\/RTP\/SAVPF?$/i;

interface Section {
  proto: string;
  type: string;
  port: number;
  attributes: Map<string, string[]>;
}

/** Splits SDP text into its session level and its `m=` sections (attributes by name). */
function sections(sdp: string): { session: Map<string, string[]>; media: Section[] } {
  const session = new Map<string, string[]>();
  const media: Section[] = [];
  let current = session;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      const [type = '', port = '0', proto = ''] = line.slice(2).split(/\s+/);
      const attributes = new Map<string, string[]>();
      media.push({ type, port: Number.parseInt(port, 10) || 0, proto, attributes });
      current = attributes;
    } else if (line.startsWith('a=')) {
      const colon = line.indexOf(':');
      const name = (colon < 0 ? line.slice(2) : line.slice(2, colon)).toLowerCase();
      const value = colon < 0 ? '' : line.slice(colon + 1).trim();
      const list = current.get(name) ?? [];
      list.push(value);
      current.set(name, list);
    }
  }
  return { session, media };
}

/** True when the description offers audio over DTLS-SRTP (`UDP/TLS/RTP/SAVPF`), as browsers do. */
export function isWebRtcOffer(sdp: string): boolean {
  return sections(sdp).media.some((m) => m.type === 'audio' && DTLS_SRTP.test(m.proto));
}

/**
 * Reads the ICE credentials (RFC 8839 §5.4) and DTLS fingerprints (RFC 8842 §5) of the first
 * active DTLS-SRTP audio stream, media level before session level; throws AppError
 * `SDP_WEBRTC_INVALID` (answered 488) when one is missing.
 */
export function webRtcCredentials(sdp: string): WebRtcCredentials {
  const { session, media } = sections(sdp);
  const audio = media.find((m) => m.type === 'audio' && m.port !== 0 && DTLS_SRTP.test(m.proto));
  if (!audio) throw new AppError('SDP_WEBRTC_INVALID', 'invalid WebRTC SDP: no active UDP/TLS/RTP/SAVPF audio stream');
  const read = (name: string): string[] => audio.attributes.get(name) ?? session.get(name) ?? [];
  const iceUfrag = read('ice-ufrag')[0] ?? '';
  const icePwd = read('ice-pwd')[0] ?? '';
  const fingerprints = read('fingerprint').filter((f) => /^\S+\s+[0-9A-F:]+$/i.test(f));
  if (iceUfrag === '' || icePwd === '')
    throw new AppError('SDP_WEBRTC_INVALID', 'invalid WebRTC SDP: no a=ice-ufrag or a=ice-pwd (RFC 8839 §5.4)');
  if (fingerprints.length === 0)
    throw new AppError('SDP_WEBRTC_INVALID', 'invalid WebRTC SDP: no a=fingerprint (RFC 8842 §5)');
  return { iceUfrag, icePwd, fingerprints };
}
