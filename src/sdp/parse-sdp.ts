import * as sdpTransform from 'sdp-transform';
import { AppError } from '../shared/index.ts';
import { STATIC_AUDIO_PAYLOADS } from './static-payloads.ts';
import type { MediaDescription, MediaDirection, RtpFormat, SdpAttribute, SessionDescription } from './types.ts';

const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];
/** Attributes the model represents as typed fields; everything else is kept in `attributes`. */
const MODELLED_ATTRIBUTES = new Set(['rtpmap', 'fmtp', 'ptime', 'rtcp', ...DIRECTIONS]);
const MAX_SDP_CHARS = 64 * 1024;

/** The error every parse failure raises. */
function invalid(message: string): AppError {
  return new AppError('SDP_INVALID', `invalid SDP: ${message}`);
}

interface RawSection {
  mLine?: string;
  attributes: SdpAttribute[];
  direction?: MediaDirection;
}

/** Splits the text into the session section and one section per `m=` line, validating line syntax. */
function splitSections(text: string): RawSection[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  if (lines[0] !== 'v=0') throw invalid('the first line must be "v=0"');
  const sections: RawSection[] = [{ attributes: [] }];
  for (const [i, line] of lines.entries()) {
    if (!/^[a-z]=/.test(line))
      throw invalid(`line ${i + 1} is not "<type>=<value>": ${JSON.stringify(line.slice(0, 60))}`);
    const value = line.slice(2);
    if (line[0] === 'm') {
      sections.push({ mLine: value, attributes: [] });
      continue;
    }
    if (line[0] !== 'a') continue;
    const section = sections[sections.length - 1] as RawSection;
    const colon = value.indexOf(':');
    const name = colon < 0 ? value : value.slice(0, colon);
    if (DIRECTIONS.includes(name)) section.direction = name as MediaDirection;
    if (MODELLED_ATTRIBUTES.has(name)) continue;
    section.attributes.push(colon < 0 ? { name } : { name, value: value.slice(colon + 1) });
  }
  return sections;
}

type TransformMedia = sdpTransform.MediaDescription;

/** Builds the payload format list of one `m=` line from its payload tokens, `rtpmap` and `fmtp`. */
function readFormats(m: TransformMedia, tokens: string[]): RtpFormat[] {
  return tokens.map((token) => {
    if (!/^\d{1,3}$/.test(token) || Number(token) > 127)
      throw invalid(`payload type ${JSON.stringify(token)} is not 0-127`);
    const pt = Number(token);
    const map = m.rtp.find((r) => r.payload === pt);
    const fmtp = m.fmtp.find((f) => f.payload === pt);
    const fallback = STATIC_AUDIO_PAYLOADS.get(pt);
    const format: RtpFormat = map
      ? { pt, name: String(map.codec), clockRate: Number(map.rate ?? 0) }
      : { pt, name: fallback?.name ?? '', clockRate: fallback?.clockRate ?? 0 };
    const channels = map ? Number(map.encoding ?? NaN) : (fallback?.channels ?? NaN);
    if (Number.isInteger(channels)) format.channels = channels;
    if (fmtp) format.fmtp = String(fmtp.config);
    return format;
  });
}

/** Converts one sdp-transform media section plus its raw attributes into the model. */
function readMedia(m: TransformMedia, raw: RawSection, sessionDirection: MediaDirection | undefined): MediaDescription {
  if (!raw.mLine || !/^\w+ \d+(\/\d+)? \S+/.test(raw.mLine))
    throw invalid(`malformed m= line ${JSON.stringify(raw.mLine)}`);
  if (!Number.isInteger(m.port) || m.port < 0 || m.port > 65535)
    throw invalid(`m= port ${String(m.port)} out of range`);
  const tokens = String(m.payloads ?? '')
    .split(' ')
    .filter((t) => t !== '');
  const isRtp = m.protocol.includes('RTP');
  const media: MediaDescription = {
    type: m.type,
    port: m.port,
    protocol: m.protocol,
    formats: isRtp ? readFormats(m, tokens) : [],
    direction: raw.direction ?? sessionDirection ?? 'sendrecv',
    attributes: raw.attributes,
  };
  if (!isRtp) media.otherFormats = tokens;
  if (m.connection) media.connectionAddress = m.connection.ip;
  if (m.ptime !== undefined) media.ptime = Number(m.ptime);
  if (m.rtcp) media.rtcpPort = m.rtcp.port;
  return media;
}

/**
 * Parses SDP text (RFC 4566) into the typed model.
 * Throws `AppError` `SDP_INVALID` naming the first problem found.
 */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string' || text.trim() === '') throw invalid('empty body');
  if (text.length > MAX_SDP_CHARS) throw invalid(`longer than ${MAX_SDP_CHARS} characters`);
  const sections = splitSections(text);
  const parsed = sdpTransform.parse(text);
  const o = parsed.origin;
  if (!o || o.address === undefined || o.address === '') throw invalid('missing or malformed o= line');
  if (parsed.media.length !== sections.length - 1) throw invalid('malformed m= line');
  const session = sections[0] as RawSection;
  const desc: SessionDescription = {
    origin: {
      username: o.username,
      sessionId: String(o.sessionId),
      sessionVersion: Number(o.sessionVersion),
      address: o.address,
    },
    sessionName: parsed.name ?? '-',
    media: parsed.media.map((m, i) => readMedia(m, sections[i + 1] as RawSection, session.direction)),
    attributes: session.attributes,
  };
  if (parsed.connection) desc.connectionAddress = parsed.connection.ip;
  for (const [i, m] of desc.media.entries()) {
    if (m.port !== 0 && !m.connectionAddress && !desc.connectionAddress) {
      throw invalid(`m= line ${i + 1} has no c= address at media or session level`);
    }
  }
  return desc;
}

/** The IP version of an address for `c=` / `o=` lines. */
function ipVersion(address: string): number {
  return address.includes(':') ? 6 : 4;
}

/** Writes the model's attribute list in sdp-transform's verbatim form. */
function rawAttributes(attrs: readonly SdpAttribute[]): { value: string }[] {
  return attrs.map((a) => ({ value: a.value === undefined ? a.name : `${a.name}:${a.value}` }));
}

/** Converts one model media section to sdp-transform's shape. */
function writeMedia(m: MediaDescription): TransformMedia {
  const out: TransformMedia = {
    type: m.type,
    port: m.port,
    protocol: m.protocol,
    payloads: m.formats.length > 0 ? m.formats.map((f) => f.pt).join(' ') : (m.otherFormats ?? []).join(' '),
    rtp: m.formats
      .filter((f) => f.name !== '')
      .map((f) => ({
        payload: f.pt,
        codec: f.name,
        rate: f.clockRate,
        ...(f.channels === undefined ? {} : { encoding: f.channels }),
      })),
    fmtp: m.formats.filter((f) => f.fmtp !== undefined).map((f) => ({ payload: f.pt, config: f.fmtp as string })),
    direction: m.direction,
    invalid: rawAttributes(m.attributes),
  };
  if (m.connectionAddress) out.connection = { version: ipVersion(m.connectionAddress), ip: m.connectionAddress };
  if (m.ptime !== undefined) out.ptime = m.ptime;
  if (m.rtcpPort !== undefined) out.rtcp = { port: m.rtcpPort };
  return out;
}

/** Serialises the model to SDP text with CRLF line endings. */
export function formatSdp(desc: SessionDescription): string {
  const o = desc.origin;
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: {
      username: o.username,
      sessionId: o.sessionId as unknown as number,
      sessionVersion: o.sessionVersion,
      netType: 'IN',
      ipVer: ipVersion(o.address),
      address: o.address,
    },
    name: desc.sessionName === '' ? '-' : desc.sessionName,
    timing: { start: 0, stop: 0 },
    media: desc.media.map(writeMedia),
    invalid: rawAttributes(desc.attributes),
  };
  if (desc.connectionAddress)
    session.connection = { version: ipVersion(desc.connectionAddress), ip: desc.connectionAddress };
  return sdpTransform.write(session);
}
