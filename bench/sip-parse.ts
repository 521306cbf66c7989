import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseMessage, serializeMessage } from '../src/sip/message/index.ts';

// The `sip` package ships no types; only the two functions the baseline needs are declared.
const sip = createRequire(import.meta.url)('sip') as { parse(s: string): unknown; stringify(m: unknown): string };

/** Figures of one run of the SIP parse+serialize benchmark. */
export interface SipParseBenchResult {
  iterations: number;
  messageBytes: number;
  callbinUsPerMessage: number;
  sipPackageUsPerMessage: number;
  /** callbin time divided by the `sip` package's time (below 1 means callbin is faster). */
  ratio: number;
  cores: number;
}

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:150',
  'a=rtcp:49171',
  'a=ssrc:3735928559 cname:alice@example.com',
  'a=sendrecv',
  '',
].join('\r\n');

/** A typical INVITE with SDP: 12 headers, about 900 bytes. */
export const TYPICAL_INVITE = [
  'INVITE sip:bob@example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@example.com>',
  'From: "Alice Liddell" <sip:alice@example.com>;tag=1928301774',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@192.0.2.10:5060;transport=udp>',
  'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, UPDATE',
  'Supported: replaces, timer, 100rel',
  'User-Agent: callbin-bench/1.0 (parser baseline comparison, typical softphone INVITE)',
  'Content-Type: application/sdp',
  `Content-Length: ${Buffer.byteLength(SDP)}`,
  '',
  SDP,
].join('\r\n');

function timeUs(iterations: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/** Parse+serialize the typical INVITE `iterations` times with callbin and with the `sip` package, after a warm-up. */
export function runSipParseBench({ iterations }: { iterations: number }): SipParseBenchResult {
  const buf = Buffer.from(TYPICAL_INVITE);
  const ours = (): void => {
    serializeMessage(parseMessage(buf));
  };
  // The baseline gets the same work: bytes in, bytes out.
  const theirs = (): void => {
    Buffer.from(sip.stringify(sip.parse(buf.toString('utf8'))));
  };
  const warmup = Math.max(1, Math.min(iterations, 20_000));
  timeUs(warmup, ours);
  timeUs(warmup, theirs);
  const callbinUsPerMessage = timeUs(iterations, ours);
  const sipPackageUsPerMessage = timeUs(iterations, theirs);
  return {
    iterations,
    messageBytes: buf.length,
    callbinUsPerMessage,
    sipPackageUsPerMessage,
    ratio: callbinUsPerMessage / sipPackageUsPerMessage,
    cores: availableParallelism(),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = runSipParseBench({ iterations: Number(process.argv[2] ?? 200_000) });
  console.log(`cores: ${r.cores}`);
  console.log(`message: ${r.messageBytes} bytes, ${r.iterations} iterations`);
  console.log(`callbin parse+serialize: ${r.callbinUsPerMessage.toFixed(2)} µs/message`);
  console.log(`sip package parse+stringify: ${r.sipPackageUsPerMessage.toFixed(2)} µs/message`);
  console.log(`ratio callbin/sip: ${r.ratio.toFixed(2)}`);
}
