// Overload benchmark (docs/security.md "Overload"): a burst of `[answer, hangup]` calls at about 3×
// the highest sustained rate against callbin with its default admission settings. Reports the
// accepted calls' setup p99 during the burst, the refused (503) share, the failed share, and how
// long after the burst setup latency at a light rate is back to its level before the burst.
// Prints the kernel's UDP drop counters over the burst: callbin's SIP socket's own and the host's.
// Run: npm run bench:overload [-- --rate 600] [-- --seconds 30] [-- --no-pin] [-- --no-webhooks]   (on demand)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBenchEnv } from './calls/index.ts';
import type { SipTarget } from './calls/index.ts';
import { percentile } from './calls/sipp-output.ts';
import { runSippClient } from './calls/sipp-run.ts';
import type { CpuPin } from './calls/sipp-run.ts';
import { numberFlag } from './cli-args.ts';

/** One traced run of the overload scenario. */
interface BurstFigures {
  ratePerSec: number;
  calls: number;
  answered: number;
  refused: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
}

async function burst(target: SipTarget, pin: CpuPin, ratePerSec: number, seconds: number): Promise<BurstFigures> {
  const calls = Math.max(1, Math.round(ratePerSec * seconds));
  const r = await runSippClient({
    scenario: 'uac-overload.xml',
    target,
    localPort: target.callerPort,
    service: target.numbers.answerHangup,
    ratePerSec,
    calls,
    maxConcurrent: Math.max(200, ratePerSec * 4),
    pin,
    traceMessages: true,
    timeoutMs: seconds * 3000 + 60_000,
  });
  // Every call that was neither answered nor failed ended on the 503 branch of the scenario.
  const failed = Math.max(r.stats.failed, calls - r.stats.successful);
  const answered = r.setupMs.length;
  return {
    ratePerSec,
    calls,
    answered,
    refused: Math.max(0, calls - failed - answered),
    failed,
    p50Ms: percentile(r.setupMs, 50),
    p99Ms: percentile(r.setupMs, 99),
  };
}

/** The host's UDP counters (`/proc/net/snmp`, every socket of the machine) and callbin's SIP socket's own (`/proc/net/udp`). */
interface UdpCounters {
  /** Datagrams dropped because a receive buffer was full, host-wide. */
  hostRcvbufErrors: number;
  /** Datagrams dropped at callbin's SIP socket (its `drops` column). */
  sipDrops: number;
  /** Bytes waiting in callbin's SIP socket's receive queue now. */
  sipQueued: number;
}

function udpCounters(sipPort: number): UdpCounters {
  const snmp = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp: '));
  const names = snmp[0]?.split(/\s+/) ?? [];
  const values = snmp[1]?.split(/\s+/) ?? [];
  const hostRcvbufErrors = Number(values[names.indexOf('RcvbufErrors')] ?? Number.NaN);
  const port = `:${sipPort.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!f[1]?.endsWith(port)) continue;
    return { hostRcvbufErrors, sipDrops: Number(f[12]), sipQueued: Number.parseInt(f[4]?.split(':')[1] ?? '0', 16) };
  }
  return { hostRcvbufErrors, sipDrops: Number.NaN, sipQueued: Number.NaN };
}

/** The counters' growth over `run`, with the largest receive queue seen on callbin's SIP socket (sampled every 50 ms). */
async function withUdpCounters<T>(sipPort: number, run: () => Promise<T>): Promise<[T, string]> {
  const start = udpCounters(sipPort);
  let peakQueued = start.sipQueued;
  // A read of /proc/net/udp can miss a line while sockets come and go: such a sample is skipped.
  const sampler = setInterval(() => {
    const queued = udpCounters(sipPort).sipQueued;
    if (Number.isFinite(queued)) peakQueued = Math.max(peakQueued, queued);
  }, 50);
  try {
    const result = await run();
    const end = udpCounters(sipPort);
    return [
      result,
      `kernel: callbin SIP socket dropped ${end.sipDrops - start.sipDrops} datagrams (receive queue peak ` +
        `${(peakQueued / 1024).toFixed(0)} KiB); host-wide Udp RcvbufErrors +${end.hostRcvbufErrors - start.hostRcvbufErrors} ` +
        '(every UDP socket of the machine: sipp and other processes too)',
    ];
  } finally {
    clearInterval(sampler);
  }
}

const fmt = (b: BurstFigures): string =>
  `${b.ratePerSec}/s × ${b.calls}: answered ${b.answered}, refused 503 ${b.refused} (${((b.refused / b.calls) * 100).toFixed(1)} %), ` +
  `failed ${b.failed} (${((b.failed / b.calls) * 100).toFixed(2)} % of offered), setup p50/p99 ${b.p50Ms.toFixed(1)}/${b.p99Ms.toFixed(1)} ms`;

/** Runs the benchmark and prints its figures. */
export async function runOverloadBench(o: {
  rate: number;
  seconds: number;
  light: number;
  pin: boolean;
  webhooks: boolean;
}) {
  const env = await startBenchEnv({ pin: o.pin, install: true });
  try {
    const { callbin, pins } = env;
    // Without the customer's webhook no delivery is made: what signalling costs alone.
    if (!o.webhooks) await callbin.server.api('PUT', '/customer', { webhook_uri: '' });
    const before = await burst(callbin, pins.load, o.light, 3);
    console.log(`before  ${fmt(before)}`);
    await env.webhooks.quiet(500);
    const perCall = env.webhooks.received() / Math.max(1, before.answered);
    const [during, kernel] = await withUdpCounters(callbin.port, () => burst(callbin, pins.load, o.rate, o.seconds));
    const endedAt = Date.now();
    console.log(`burst   ${fmt(during)}`);
    console.log(`burst   ${kernel}`);
    // Back to normal: a light 1 s probe whose p99 is within 2× (or 5 ms) of the level before, with no failure.
    const normalMs = Math.max(2 * before.p99Ms, before.p99Ms + 5);
    let recoveredSec = NaN;
    let answered = before.answered + during.answered;
    for (let i = 0; i < 60; i++) {
      const probe = await burst(callbin, pins.load, o.light, 1);
      answered += probe.answered;
      const since = (Date.now() - endedAt) / 1000;
      console.log(`after   +${since.toFixed(1)} s ${fmt(probe)}`);
      if (probe.failed === 0 && probe.refused === 0 && probe.p99Ms <= normalMs) {
        recoveredSec = since;
        break;
      }
    }
    // Webhook delivery catches up once nothing has arrived for 1 s; every answered call sends as many as one before the burst.
    await env.webhooks.quiet(1000);
    const caughtUpSec = (Date.now() - 1000 - endedAt) / 1000;
    const expected = Math.round(perCall * answered);
    console.log(
      `summary offered ${o.rate}/s for ${o.seconds} s: accepted setup p50/p99 ${during.p50Ms.toFixed(1)}/${during.p99Ms.toFixed(1)} ms, ` +
        `refused ${((during.refused / during.calls) * 100).toFixed(1)} %, ` +
        `failed among accepted ${((during.failed / Math.max(1, during.answered + during.failed)) * 100).toFixed(2)} %, ` +
        `back to normal (p99 ≤ ${normalMs.toFixed(1)} ms at ${o.light}/s) ${recoveredSec.toFixed(1)} s after the burst; ` +
        `webhooks received ${env.webhooks.received()} of ${expected} expected (${perCall.toFixed(2)} per answered call), ` +
        `caught up ${caughtUpSec.toFixed(1)} s after the burst; ${kernel}`,
    );
  } finally {
    await env.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: number): number => numberFlag(argv, flag, fallback);
  await runOverloadBench({
    rate: value('--rate', 600),
    seconds: value('--seconds', 30),
    light: value('--light', 50),
    pin: !argv.includes('--no-pin'),
    webhooks: !argv.includes('--no-webhooks'),
  });
  process.exit(0);
}
