/**
 * The benchmark's bot (a child process on the load core, driven through stdin/stdout, see child.ts):
 * a `ws` server on 127.0.0.1 speaking docs/media-streams.md "Wire protocol". It sends every inbound
 * media frame straight back as media; a tagged frame (frame-tag.ts) goes back with the bot's send
 * time written in, and its delay from the caller is recorded. It also checks what callbin sends: the
 * handshake signature (docs/media-streams.md "Handshake signature", with the customer's secret given
 * as the first argument), `sequenceNumber` counting by one, chunk numbers counting by one per track
 * (a gap is media callbin dropped under back-pressure) and `timestamp` = (chunk − 1) × 20.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { serveRequests } from './child.ts';
import { FRAME_BYTES, nowUs, readTag, writeTag } from './frame-tag.ts';
import { inWindow, LatencyHistogram, SeenFrames, type UsWindow } from './latency.ts';

const secret = process.argv[2] ?? '';
let window: UsWindow | undefined;
let server: WebSocketServer | undefined;
let c = freshCounts();

function freshCounts() {
  return {
    connections: 0,
    started: 0,
    closed: 0,
    stopReasons: {} as Record<string, number>,
    closeCodes: {} as Record<string, number>,
    signatures: { valid: 0, invalid: 0, missing: 0 },
    messages: 0,
    inbound: 0,
    untagged: 0,
    chunkGaps: 0,
    anomalies: 0,
    firstAnomaly: '',
    seen: new SeenFrames(),
    toBot: new LatencyHistogram(),
  };
}

function anomaly(what: string): void {
  c.anomalies++;
  if (c.firstAnomaly === '') c.firstAnomaly = what.slice(0, 300);
}

function checkSignature(req: IncomingMessage): void {
  const ts = req.headers['x-callbin-timestamp'];
  const sig = req.headers['x-callbin-signature'];
  if (typeof ts !== 'string' || typeof sig !== 'string') {
    c.signatures.missing++;
    return;
  }
  // The signed text is the timestamp, a dot and the full URL callbin opened.
  const url = `ws://${req.headers.host}${req.url}`;
  const expected = `v1=${createHmac('sha256', secret).update(`${ts}.${url}`).digest('hex')}`;
  if (expected === sig) c.signatures.valid++;
  else c.signatures.invalid++;
}

/** One stream's protocol state. */
interface Stream {
  sid: string;
  seq: number;
  chunks: Record<string, number>;
}

/** callbin's media messages as it builds them; anything else (or another key order) goes through JSON.parse. */
const MEDIA =
  /^\{"event":"media","sequenceNumber":"(\d+)","streamSid":"([^"\\]*)","media":\{"track":"(\w+)","chunk":"(\d+)","timestamp":"(\d+)","payload":"([A-Za-z0-9+/=]*)"\}\}$/;

/** A message as JSON would give it; media through the pattern above, which costs the load core far less. */
function parse(text: string): any {
  const m = MEDIA.exec(text);
  if (!m) return JSON.parse(text);
  return {
    event: 'media',
    sequenceNumber: m[1],
    streamSid: m[2],
    media: { track: m[3], chunk: m[4], timestamp: m[5], payload: m[6] },
  };
}

/** Base64 characters of one 160-byte frame. */
const FRAME_BASE64 = Math.ceil(FRAME_BYTES / 3) * 4;

function onMessage(ws: WebSocket, s: Stream, text: string): void {
  c.messages++;
  let m: any;
  try {
    m = parse(text);
  } catch {
    return anomaly(`not JSON: ${text.slice(0, 80)}`);
  }
  if (m.event === 'connected') {
    if (s.seq !== 0 || m.protocol !== 'Call') anomaly(`connected: ${text}`);
    return;
  }
  const seq = Number(m.sequenceNumber);
  if (seq !== s.seq + 1) anomaly(`sequenceNumber ${m.sequenceNumber} after ${s.seq}`);
  s.seq = seq;
  if (m.event === 'start') {
    c.started++;
    s.sid = String(m.streamSid);
    if (m.start?.mediaFormat?.encoding !== 'audio/x-mulaw' || m.start?.streamSid !== s.sid) anomaly(`start: ${text}`);
    return;
  }
  if (m.streamSid !== s.sid) anomaly(`streamSid ${m.streamSid} of ${m.event}`);
  if (m.event === 'stop') {
    const reason = String(m.stop?.reason);
    c.stopReasons[reason] = (c.stopReasons[reason] ?? 0) + 1;
    return;
  }
  if (m.event !== 'media') return;
  const track = String(m.media?.track);
  const chunk = Number(m.media?.chunk);
  const last = s.chunks[track] ?? 0;
  if (chunk > last + 1) c.chunkGaps += chunk - last - 1;
  else if (chunk !== last + 1) anomaly(`chunk ${m.media?.chunk} after ${last} (${track})`);
  s.chunks[track] = chunk;
  if (Number(m.media?.timestamp) !== (chunk - 1) * 20) anomaly(`timestamp ${m.media?.timestamp} of chunk ${chunk}`);
  let payload = String(m.media?.payload);
  if (payload.length !== FRAME_BASE64) anomaly(`payload of ${payload.length} base64 characters`);
  // The outbound track is what the caller hears: checked for its numbering only.
  if (track !== 'inbound') return;
  const tag = readTag(Buffer.from(payload, 'base64'));
  const now = nowUs();
  if (!tag) c.untagged++;
  else {
    if (inWindow(window, tag.sentUs) && c.seen.add(tag.call, tag.seq)) {
      c.inbound++;
      c.toBot.add(now - tag.sentUs);
    }
    const out = Buffer.allocUnsafe(FRAME_BYTES);
    writeTag(out, { ...tag, botUs: now });
    payload = out.toString('base64');
  }
  ws.send(`{"event":"media","streamSid":"${s.sid}","media":{"payload":"${payload}"}}`);
}

async function listen(): Promise<{ port: number }> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  server.on('connection', (ws, req) => {
    c.connections++;
    checkSignature(req);
    const s: Stream = { sid: '', seq: 0, chunks: {} };
    ws.on('message', (data, isBinary) => {
      if (isBinary) return anomaly('binary frame from callbin');
      onMessage(ws, s, data.toString());
    });
    ws.on('close', (code) => {
      c.closed++;
      c.closeCodes[code] = (c.closeCodes[code] ?? 0) + 1;
    });
    ws.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server!.once('listening', resolve);
    server!.once('error', reject);
  });
  const address = server.address();
  return { port: typeof address === 'object' && address ? address.port : 0 };
}

function figures() {
  const { seen: _seen, toBot, ...rest } = c;
  return { ...rest, running: c.connections - c.closed, toBot: toBot.figures() };
}

/** What the bot reports: see {@link figures}. */
export type BotFigures = ReturnType<typeof figures>;

async function close(): Promise<void> {
  for (const ws of server?.clients ?? []) ws.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

serveRequests((m) => {
  if (m.cmd === 'listen') return listen();
  if (m.cmd === 'window') {
    c = freshCounts();
    window = { fromUs: Number(m.fromUs), toUs: Number(m.toUs) };
    return {};
  }
  if (m.cmd === 'figures') return figures();
  throw new Error(`unknown command ${String(m.cmd)}`);
}, close);
