/*
 * A media-stream bot for the e2e tests, run as its own process (`node --import tsx
 * test/support/stream-bot.ts [--no-handshake]`): a WebSocket server on 127.0.0.1 (ephemeral port)
 * speaking the protocol of docs/media-streams.md. It prints one JSON line on stdout per thing that
 * happens and takes one JSON command per line on stdin (see `Command`). With `--no-handshake` it is
 * a plain TCP server that accepts connections and never answers the upgrade request.
 */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { MULAW_ENCODE_TABLE } from '../../src/media/codecs/g711.ts';

/** A command on stdin. */
export type Command =
  | { cmd: 'send'; data: unknown }
  | { cmd: 'tone'; hz: number; ms: number; paced?: boolean; amplitude?: number }
  | { cmd: 'mark'; name: string }
  | { cmd: 'clear' }
  | { cmd: 'continue'; variables: Record<string, string> }
  | { cmd: 'close'; code?: number; reason?: string }
  | { cmd: 'garbage' }
  | { cmd: 'binary' }
  | { cmd: 'oversize'; bytes: number }
  | { cmd: 'stall' }
  | { cmd: 'mode'; mode: 'echo' | 'quiet' }
  | { cmd: 'exit' };

/** Most bytes one command line may have: larger lines are refused, never buffered without end. */
const MAX_COMMAND_BYTES = 1 << 20;
/** Longest tone one command may ask for. */
const MAX_TONE_MS = 300_000;

const print = (line: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...line, at: line.at ?? Date.now() })}\n`);
};

let socket: WebSocket | undefined;
let streamSid = '';
let slin16 = false;
let echo = false;
let tonePhase = 0;
const pacers = new Set<NodeJS.Timeout>();

/** One 20 ms frame of a sine tone in the stream's format, continuing the phase of the last one. */
function toneFrame(hz: number, amplitude: number): Buffer {
  const rate = slin16 ? 16_000 : 8000;
  const samples = rate / 50;
  const out = Buffer.alloc(slin16 ? samples * 2 : samples);
  for (let i = 0; i < samples; i++) {
    const value = Math.round(amplitude * Math.sin(tonePhase));
    tonePhase += (2 * Math.PI * hz) / rate;
    if (slin16) out.writeInt16LE(value, i * 2);
    else out[i] = MULAW_ENCODE_TABLE[value & 0xffff] ?? 0xff;
  }
  tonePhase %= 2 * Math.PI;
  return out;
}

function sendJson(message: Record<string, unknown>): void {
  socket?.send(JSON.stringify(message));
}

function media(payload: Buffer): Record<string, unknown> {
  return { event: 'media', streamSid, media: { payload: payload.toString('base64') } };
}

function sendTone(hz: number, ms: number, paced: boolean, amplitude: number): void {
  const frames = Math.ceil(Math.min(ms, MAX_TONE_MS) / 20);
  const startedAt = Date.now();
  if (!paced) {
    for (let i = 0; i < frames; i++) sendJson(media(toneFrame(hz, amplitude)));
    print({ kind: 'sent', cmd: 'tone', frames, at: startedAt, endAt: Date.now() });
    return;
  }
  let sent = 0;
  const timer = setInterval(() => {
    // Catch up to the wall clock, so a late timer does not stretch the tone.
    const due = Math.min(frames, Math.floor((Date.now() - startedAt) / 20) + 1);
    while (sent < due) {
      sendJson(media(toneFrame(hz, amplitude)));
      sent += 1;
    }
    if (sent >= frames) {
      clearInterval(timer);
      pacers.delete(timer);
      print({ kind: 'sent', cmd: 'tone', frames, paced: true, at: startedAt, endAt: Date.now() });
    }
  }, 20);
  pacers.add(timer);
}

function run(command: Command): void {
  if (command.cmd === 'exit') return void shutDown();
  if (!socket) return print({ kind: 'error', message: `no connection for ${command.cmd}` });
  const at = Date.now();
  switch (command.cmd) {
    case 'send':
      socket.send(typeof command.data === 'string' ? command.data : JSON.stringify(command.data));
      break;
    case 'tone':
      return sendTone(command.hz, command.ms, command.paced === true, command.amplitude ?? 8000);
    case 'mark':
      sendJson({ event: 'mark', streamSid, mark: { name: command.name } });
      break;
    case 'clear':
      sendJson({ event: 'clear', streamSid });
      break;
    case 'continue':
      sendJson({ event: 'continue', variables: command.variables });
      break;
    case 'close':
      socket.close(command.code ?? 1000, command.reason ?? '');
      break;
    case 'garbage':
      socket.send('this is not JSON {');
      break;
    case 'binary':
      socket.send(Buffer.from([1, 2, 3, 4]), { binary: true });
      break;
    case 'oversize': {
      // A well-formed media message whose only fault is its size.
      const head = `{"event":"media","streamSid":"${streamSid}","media":{"payload":"`;
      const room = Math.max(0, command.bytes - head.length - 3);
      socket.send(`${head}${'A'.repeat(room - (room % 4))}"}}`);
      break;
    }
    case 'stall':
      // Stops reading: pings are no longer answered and what callbin sends piles up.
      socket.pause();
      break;
    case 'mode':
      echo = command.mode === 'echo';
      break;
  }
  print({ kind: 'sent', cmd: command.cmd, at });
}

function onMessage(data: RawData, isBinary: boolean): void {
  const at = Date.now();
  const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  if (isBinary) return print({ kind: 'binary', bytes: raw.length, at });
  const text = raw.toString('utf8');
  let message: any;
  try {
    message = JSON.parse(text);
  } catch {
    return print({ kind: 'text', text: text.slice(0, 1000), at });
  }
  print({ kind: 'message', data: message, at });
  if (message?.event === 'start') {
    streamSid = String(message.streamSid ?? '');
    slin16 = message.start?.mediaFormat?.encoding === 'audio/l16';
  }
  if (echo && message?.event === 'media' && message.media?.track === 'inbound')
    sendJson({ event: 'media', streamSid, media: { payload: message.media.payload } });
}

function listenWebSocket(): void {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('listening', () => print({ kind: 'listening', port: (server.address() as { port: number }).port }));
  server.on('connection', (ws, req) => {
    socket = ws;
    print({ kind: 'connection', url: req.url, headers: req.headers });
    ws.on('message', onMessage);
    ws.on('ping', () => print({ kind: 'ping' }));
    ws.on('error', (err) => print({ kind: 'error', message: err.message }));
    ws.on('close', (code, reason) => {
      for (const t of pacers) clearInterval(t);
      pacers.clear();
      print({ kind: 'close', code, reason: reason.toString('utf8') });
    });
  });
  closeServer = () => server.close();
}

function listenTcpOnly(): void {
  const sockets = new Set<Socket>();
  const server = createServer((tcp) => {
    sockets.add(tcp);
    print({ kind: 'tcp-connection' });
    let bytes = 0;
    tcp.on('data', (d) => {
      bytes += d.length;
      print({ kind: 'tcp-data', bytes });
    });
    tcp.on('error', () => undefined);
    tcp.on('close', () => {
      sockets.delete(tcp);
      print({ kind: 'tcp-close' });
    });
  });
  server.listen(0, '127.0.0.1', () => print({ kind: 'listening', port: (server.address() as { port: number }).port }));
  closeServer = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
}

let closeServer = (): void => undefined;

function shutDown(): void {
  for (const t of pacers) clearInterval(t);
  socket?.terminate();
  closeServer();
  print({ kind: 'exit' });
  process.exit(0);
}

if (process.argv.includes('--no-handshake')) listenTcpOnly();
else listenWebSocket();

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  if (line.length > MAX_COMMAND_BYTES) return print({ kind: 'error', message: 'command too long' });
  try {
    run(JSON.parse(line) as Command);
  } catch (err) {
    print({ kind: 'error', message: `bad command: ${(err as Error).message}` });
  }
});
lines.on('close', shutDown);
