import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { MULAW_DECODE_TABLE, MULAW_ENCODE_TABLE } from '../../src/media/index.ts';
import { goertzelPower, sineTone } from '../../src/media/testing/tones.ts';
import { CallerRtpSocket } from './caller-rtp.ts';
import type { Command } from './stream-bot.ts';

const BOT = fileURLToPath(new URL('./stream-bot.ts', import.meta.url));
/** Most lines kept from one bot (about 30 minutes of media at 50 messages a second). */
const MAX_LINES = 100_000;

/** One line the bot printed: `kind` names what happened, `at` is its `Date.now()`. */
export interface BotLine {
  kind: string;
  at: number;
  [key: string]: any;
}

/** The test bot of docs/media-streams.md in a child process (`stream-bot.ts`), driven over stdin/stdout. */
export class StreamBot {
  readonly lines: BotLine[] = [];
  port = 0;
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiters = new Set<() => void>();
  readonly #exited: Promise<void>;
  #stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      let parsed: BotLine;
      try {
        parsed = JSON.parse(line) as BotLine;
      } catch {
        parsed = { kind: 'stdout', at: Date.now(), text: line };
      }
      if (this.lines.length < MAX_LINES) this.lines.push(parsed);
      for (const wake of [...this.#waiters]) wake();
    });
    child.stderr.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-4000)));
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        for (const wake of [...this.#waiters]) wake();
        resolve();
      }),
    );
  }

  /** Spawns the bot and waits until it listens; `noHandshake` makes it a TCP server that never answers the upgrade. */
  static async start(options: { noHandshake?: boolean } = {}): Promise<StreamBot> {
    const args = ['--import', 'tsx', BOT, ...(options.noHandshake ? ['--no-handshake'] : [])];
    const bot = new StreamBot(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    try {
      bot.port = (await bot.waitFor((l) => l.kind === 'listening', 20_000, 'the bot to listen')).port;
    } catch (err) {
      await bot.stop();
      throw err;
    }
    return bot;
  }

  /** The bot's `ws://` URL with `path`. */
  url(path = '/bot'): string {
    return `ws://127.0.0.1:${this.port}${path}`;
  }

  /** The first line (printed already or later) for which `predicate` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (line: BotLine) => boolean, timeoutMs: number, what = 'a bot line'): Promise<BotLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(predicate);
        if (found) {
          done();
          resolve(found);
        } else if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
          done();
          reject(new Error(`the bot exited before ${what}; stderr: ${this.#stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        const kinds = this.lines.map((l) => (l.kind === 'message' ? l.data?.event : l.kind)).slice(-20);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines: ${kinds.join(', ')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The protocol message `event` the bot received (the first one, printed already or later). */
  async waitForEvent(event: string, timeoutMs: number): Promise<any> {
    const line = await this.waitFor((l) => l.kind === 'message' && l.data?.event === event, timeoutMs, `"${event}"`);
    return { ...line.data, at: line.at };
  }

  /** The protocol messages the bot received so far (of `event` only, when given), with their receive time as `at`. */
  messages(event?: string): any[] {
    return this.lines
      .filter((l) => l.kind === 'message' && (event === undefined || l.data?.event === event))
      .map((l) => ({ ...l.data, at: l.at }));
  }

  /** Sends one command to the bot. */
  command(command: Command): void {
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** Sends `command` and resolves with the bot's `sent` line for it (its `at` is when it sent it). */
  async commandSent(command: Command, timeoutMs = 10_000): Promise<BotLine> {
    const seen = this.lines.length;
    this.command(command);
    return this.waitFor(
      (l) => l.kind === 'sent' && l.cmd === command.cmd && this.lines.indexOf(l) >= seen,
      timeoutMs,
      `the bot to send ${command.cmd}`,
    );
  }

  /** Ends the bot process; fine after it exited. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}

/** 16-bit PCM of µ-law bytes. */
export function pcmOfMulaw(bytes: Uint8Array): Int16Array {
  return Int16Array.from(bytes, (b) => MULAW_DECODE_TABLE[b] ?? 0);
}

/** µ-law bytes of 16-bit PCM. */
export function mulawOf(pcm: Int16Array): Buffer {
  return Buffer.from(Array.from(pcm, (s) => MULAW_ENCODE_TABLE[s & 0xffff] ?? 0xff));
}

/** A µ-law sine tone of `ms` at 8 kHz. */
export function mulawTone(hz: number, ms: number, amplitude = 8000): Buffer {
  return mulawOf(sineTone(hz, ms, 8000, amplitude));
}

/** The amplitude of the `hz` component of 8 kHz `pcm` (Goertzel). */
export function toneLevel(pcm: ArrayLike<number>, hz: number): number {
  return 2 * Math.sqrt(goertzelPower(pcm, hz));
}

/** Which of `candidates` dominates 8 kHz `pcm` (level above 1000 and 4 times any other), or 0. */
export function dominantTone(pcm: ArrayLike<number>, candidates: readonly number[]): number {
  const levels = candidates.map((hz) => toneLevel(pcm, hz));
  const best = levels.indexOf(Math.max(...levels));
  const others = levels.filter((_, i) => i !== best);
  const level = levels[best] ?? 0;
  return level > 1000 && others.every((l) => l * 4 < level) ? (candidates[best] ?? 0) : 0;
}

/** Runs of at least `min` equal non-zero values, collapsed to one value each. */
export function runsOf(values: number[], min = 3): number[] {
  const out: number[] = [];
  for (let i = 0, j = 0; i < values.length; i = j) {
    while (j < values.length && values[j] === values[i]) j++;
    if (values[i] !== 0 && j - i >= min && out.at(-1) !== values[i]) out.push(values[i] as number);
  }
  return out;
}

/** One RTP packet of PCMU callbin sent to the caller. */
export interface HeardFrame {
  atMs: number;
  pcm: Int16Array;
  audible: boolean;
}

/**
 * The caller's media socket (its port goes into sipp's SDP with `-key rtp_port`), like `CallerMedia`
 * but keeping every frame heard, telling when queued audio starts going out, and able to send
 * RFC 4733 telephone events.
 */
export class StreamCaller extends CallerRtpSocket {
  readonly heard: HeardFrame[] = [];
  readonly #queue: { audio?: Buffer; digit?: string; onStart?: ((atMs: number) => void) | undefined }[] = [];
  #seq = 0;
  #ts = 0;

  /** Binds on 127.0.0.1, ephemeral port. */
  static async open(): Promise<StreamCaller> {
    return new StreamCaller(await CallerRtpSocket.bind());
  }

  protected override onPcmu(payload: Uint8Array): void {
    if (this.heard.length >= MAX_LINES) return;
    const pcm = pcmOfMulaw(payload);
    this.heard.push({ atMs: Date.now(), pcm, audible: pcm.some((s) => Math.abs(s) > 1000) });
  }

  /** Sends a 20 ms PCMU frame every 20 ms to where callbin's RTP comes from: queued audio or digits first, silence otherwise. */
  startSending(): void {
    this.timer ??= setInterval(() => this.#tick(), 20);
  }

  /** Queues µ-law audio; resolves with the time its first frame went out. */
  say(mulaw: Buffer): Promise<number> {
    return new Promise((onStart) => this.#queue.push({ audio: mulaw, onStart }));
  }

  /** Queues a 100 ms RFC 4733 event of `digit` (payload type 101, as the fixtures offer it); resolves when it starts. */
  dtmf(digit: string): Promise<number> {
    return new Promise((onStart) => this.#queue.push({ digit, onStart }));
  }

  #send(payloadType: number, payload: Uint8Array, marker = false, timestamp = this.#ts): void {
    if (!this.connected) return;
    const sequenceNumber = this.#seq++ & 0xffff;
    this.send({ payloadType, marker, sequenceNumber, timestamp: timestamp >>> 0, ssrc: 0x5eed0002, payload });
  }

  #tick(): void {
    if (!this.connected) return;
    const head = this.#queue[0];
    head?.onStart?.(Date.now());
    if (head) head.onStart = undefined;
    if (head?.digit !== undefined) {
      this.#queue.shift();
      this.#sendDigit(head.digit);
      return;
    }
    const frame = Buffer.alloc(160, 0xff);
    if (head?.audio) {
      head.audio.copy(frame, 0, 0, 160);
      head.audio = head.audio.subarray(Math.min(160, head.audio.length));
      if (head.audio.length === 0) this.#queue.shift();
    }
    this.#send(0, frame);
    this.#ts += 160;
  }

  /** One event: five updates 20 ms apart, then the end packet three times (RFC 4733 §2.5). */
  #sendDigit(digit: string): void {
    const code = '0123456789*#'.indexOf(digit);
    const start = this.#ts;
    const packet = (duration: number, end: boolean): Uint8Array =>
      Uint8Array.from([code, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);
    let step = 0;
    clearInterval(this.timer);
    const timer = setInterval(() => {
      step += 1;
      if (step <= 5) return this.#send(101, packet(step * 160, false), step === 1, start);
      for (let i = 0; i < 3; i++) this.#send(101, packet(5 * 160, true), false, start);
      clearInterval(timer);
      this.#ts += 6 * 160;
      this.timer = setInterval(() => this.#tick(), 20);
    }, 20);
    this.timer = timer;
  }
}
