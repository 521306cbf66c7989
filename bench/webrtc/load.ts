/**
 * The WebRTC benchmark's load process (pinned to its own core by bench/webrtc.ts): werift peers as
 * browsers and UDP sockets as RTP phones, driven by the line protocol of protocol.ts. In a run,
 * `send` phones send one packet per 20 ms, each in its own 1 ms slot of the period (phone j in slot
 * j % 20), and `echo` phones send every packet they receive straight back.
 * - `tag` mode (relayed bridges: the payload arrives as it was sent): each payload carries a magic,
 *   the phone's index and its send time; the round trip is its return time minus that.
 * - `burst` mode (decoded bridges: the payload is decoded and re-encoded, so bytes cannot carry a
 *   tag): each phone plays a 1 kHz burst of 60 ms every 500 ms (phases staggered across phones)
 *   and the round trip is from sending a burst's first frame to the first loud frame heard back;
 *   a burst not heard within 400 ms is missed.
 * Every receiver counts packets and sequence gaps. Figures count after the warm-up; the round
 * trip includes this process's own receive delay (werift decrypts in JavaScript).
 */
import { createInterface } from 'node:readline';
import { CYCLE_FRAMES, LoudnessDetector, encodedCycle } from './audio-cycle.ts';
import { RtpPhone, WebRtcPhone, type LoadPhone } from './load-phones.ts';
import type { LoadRequest, OpenAnswer, PhoneCodec, PhoneSpec, RunAnswer, RunMode } from './protocol.ts';

const SLOT_MS = 1;
const SLOTS = 20;
const DRAIN_MS = 500;
const BURST_LATE_MS = 400;
const MAGIC = 0x43425431;
const TAG_BYTES: Record<PhoneCodec, number> = { PCMU: 160, opus: 80 };
const BATCH = 10;

let phones: LoadPhone[] = [];

async function inBatches<T>(items: T[], step: (item: T, i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    await Promise.all(items.slice(i, i + BATCH).map((item, k) => step(item, i + k)));
  }
}

async function open(specs: PhoneSpec[]): Promise<OpenAnswer> {
  phones = [];
  const out: OpenAnswer['phones'] = [];
  await inBatches(specs, async (spec, i) => {
    const ssrc = 0x10000 + i;
    if (spec.transport === 'webrtc') {
      const phone = new WebRtcPhone(spec.codec, ssrc);
      phones[i] = phone;
      out[i] = { offerSdp: await phone.offer() };
    } else {
      const phone = await RtpPhone.open(spec.codec, ssrc);
      phones[i] = phone;
      out[i] = { port: phone.port };
    }
  });
  return { phones: out };
}

async function connect(remotes: { answerSdp?: string; port?: number }[]): Promise<{ ok: true }> {
  await inBatches(phones, async (phone, i) => {
    const remote = remotes[i] ?? {};
    if (phone instanceof WebRtcPhone) await phone.accept(remote.answerSdp ?? '');
    else if (phone instanceof RtpPhone) await phone.connect(remote.port ?? 0);
  });
  return { ok: true };
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

async function run(
  roles: ('send' | 'echo')[],
  mode: RunMode,
  durationMs: number,
  warmupMs: number,
): Promise<RunAnswer> {
  // Set once every phone is ready, so preparing (Opus encoders and decoders) is not part of the run.
  let start = Number.POSITIVE_INFINITY;
  let measureFrom = start;
  let end = start;
  const measuring = (): boolean => performance.now() >= measureFrom;
  const r: RunAnswer = {
    ...{ sent: 0, received: 0, gaps: 0, tagsSent: 0, tagsBack: 0, burstsSent: 0, burstsHeard: 0 },
    ...{ rttP50: 0, rttP99: 0, rttMax: 0, cpuPct: 0 },
  };
  const rtts: number[] = [];
  const senders: { phone: LoadPhone; index: number; next: (tick: number) => Uint8Array }[] = [];
  const detectors: LoudnessDetector[] = [];
  const cycles: Record<PhoneCodec, Uint8Array[]> = { PCMU: encodedCycle('PCMU'), opus: encodedCycle('opus') };
  phones.forEach((phone, index) => {
    let last = -1;
    const count = (seq: number): void => {
      if (last >= 0 && measuring()) {
        const d = (seq - last) & 0xffff;
        if (d === 0 || d > 3000) return; // a duplicate or a late, reordered packet
        r.gaps += d - 1;
      }
      last = seq;
      if (measuring()) r.received++;
    };
    if (roles[index] === 'echo') {
      phone.onPacket((seq, payload) => {
        count(seq);
        phone.send(payload);
      });
      return;
    }
    if (mode === 'tag') {
      const buf = Buffer.alloc(TAG_BYTES[phone.codec]);
      buf.writeUInt32BE(MAGIC, 0);
      buf.writeUInt32BE(index, 4);
      phone.onPacket((seq, payload) => {
        count(seq);
        const p = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        if (p.length < 16 || p.readUInt32BE(0) !== MAGIC || p.readUInt32BE(4) !== index) return;
        const sentAt = p.readDoubleBE(8);
        if (sentAt < measureFrom) return;
        r.tagsBack++;
        rtts.push(performance.now() - sentAt);
      });
      senders.push({
        phone,
        index,
        next: () => {
          const now = performance.now();
          buf.writeDoubleBE(now, 8);
          if (now >= measureFrom) r.tagsSent++;
          return buf;
        },
      });
      return;
    }
    const cycle = cycles[phone.codec];
    const detector = new LoudnessDetector(phone.codec);
    detectors.push(detector);
    let outstanding: number | undefined;
    let wasLoud = false;
    phone.onPacket((seq, payload) => {
      count(seq);
      const loud = detector.loud(payload);
      if (loud && !wasLoud && outstanding !== undefined) {
        const rtt = performance.now() - outstanding;
        if (rtt <= BURST_LATE_MS && outstanding >= measureFrom && outstanding < end - BURST_LATE_MS) {
          r.burstsHeard++;
          rtts.push(rtt);
        }
        outstanding = undefined;
      }
      wasLoud = loud;
    });
    senders.push({
      phone,
      index,
      next: (tick) => {
        const at = (tick + index) % CYCLE_FRAMES;
        if (at === 0) {
          outstanding = performance.now();
          // Bursts of the last 400 ms of the hold are neither counted as sent nor as heard.
          if (outstanding >= measureFrom && outstanding < end - BURST_LATE_MS) r.burstsSent++;
        }
        return cycle[at]!;
      },
    });
  });

  const cpu0 = process.cpuUsage();
  start = performance.now();
  measureFrom = start + warmupMs;
  end = start + durationMs;
  const slots = Math.floor(durationMs / SLOT_MS);
  let slot = 0;
  while (slot < slots) {
    const now = performance.now();
    for (; slot < slots && start + slot * SLOT_MS <= now; slot++) {
      const tick = Math.floor(slot / SLOTS);
      for (let j = slot % SLOTS; j < senders.length; j += SLOTS) {
        const s = senders[j]!;
        s.phone.send(s.next(tick));
        if (performance.now() >= measureFrom) r.sent++;
      }
    }
    await new Promise((res) => setTimeout(res, Math.max(0, start + slot * SLOT_MS - performance.now())));
  }
  await new Promise((res) => setTimeout(res, DRAIN_MS));
  for (const p of phones) p.onPacket(() => undefined);
  for (const d of detectors) d.close();
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(rtts).sort();
  r.rttP50 = percentile(sorted, 0.5);
  r.rttP99 = percentile(sorted, 0.99);
  r.rttMax = sorted.at(-1) ?? 0;
  r.cpuPct = (100 * (cpu.user + cpu.system)) / 1000 / (performance.now() - start);
  return r;
}

async function close(): Promise<{ ok: true }> {
  await Promise.all(phones.map((p) => p.close()));
  phones = [];
  return { ok: true };
}

async function handle(req: LoadRequest): Promise<unknown> {
  switch (req.op) {
    case 'open':
      return open(req.phones);
    case 'connect':
      return connect(req.remotes);
    case 'run':
      return run(req.roles, req.mode, req.durationMs, req.warmupMs);
    case 'close':
      return close();
  }
}

let queue: Promise<void> = Promise.resolve();
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let answer: unknown;
    try {
      answer = await handle(JSON.parse(line) as LoadRequest);
    } catch (err) {
      answer = { error: err instanceof Error ? err.message : String(err) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
});
rl.on('close', () => {
  void queue.then(close).finally(() => process.exit(0));
});
