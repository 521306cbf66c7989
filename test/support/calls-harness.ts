import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallService } from '../../src/calls/index.ts';
import type { Call, CallEvent, FlowPort, FlowSource, RecorderPort } from '../../src/calls/index.ts';
import { MemoryCallStore } from '../../src/calls/testing/fake-ports.ts';
import { MULAW_ENCODE_TABLE, MediaClock, tone } from '../../src/media/index.ts';
import type { PortAllocator } from '../../src/media/index.ts';
import { NIL_UUID, newId, systemClock, silentLogger } from '../../src/shared/index.ts';
import { DigestChallenger, DigestGuard, SipTransport, TransactionLayer } from '../../src/sip/index.ts';
import { UserAgent } from '../../src/sip/dialog/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { CallMedia } from '../../src/telephony/media/call-media.ts';
import { CallSignaling } from '../../src/telephony/signaling/call-signaling.ts';
import { DirectoryAdapter } from '../../src/telephony/signaling/directory-adapter.ts';
import { IncomingCalls } from '../../src/telephony/signaling/incoming-calls.ts';
import { ProviderAddressBook, RoutingAdapter } from '../../src/telephony/signaling/routing-adapter.ts';
import { StoreRegistrarBackend } from '../../src/telephony/signaling/store-registrar-backend.ts';
import { CallerRtpSocket, peakOfMulaw } from './caller-rtp.ts';
import { randomPortAllocator } from './media-call.ts';

/** A FlowPort whose activeflows run a script the test sets (`onExecute`), per call. */
export class ScriptedFlows implements FlowPort {
  readonly #callOf = new Map<string, string>();
  readonly errors: unknown[] = [];
  readonly running = new Set<Promise<void>>();
  onExecute: (callId: string) => Promise<void> = async () => undefined;

  async validate(): Promise<void> {}

  async create(request: { call_id: string; source: FlowSource }): Promise<{ flow_id: string; activeflow_id: string }> {
    const activeflowId = newId();
    this.#callOf.set(activeflowId, request.call_id);
    return { flow_id: 'flow_id' in request.source ? request.source.flow_id : NIL_UUID, activeflow_id: activeflowId };
  }

  async execute(activeflowId: string): Promise<void> {
    const callId = this.#callOf.get(activeflowId);
    if (callId === undefined) return;
    const run = this.onExecute(callId).catch((err: unknown) => void this.errors.push(err));
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  async stop(): Promise<void> {}
}

const noRecorder: RecorderPort = {
  start: async () => ({ recording_id: newId() }),
  stop: async () => undefined,
};

/** callbin's calls side on loopback: a real SIP UA (short T1), a SQLite store, CallService with the telephony adapters. */
export interface CallsStack {
  dir: string;
  store: Store;
  ua: UserAgent;
  sipPort: number;
  allocator: PortAllocator;
  media: CallMedia;
  service: CallService;
  callStore: MemoryCallStore;
  flows: ScriptedFlows;
  customerId: string;
  /** Every committed call event, in order. */
  events: CallEvent[];
  /** Resolves with the call once `predicate` holds for one of its events. */
  waitFor(predicate: (call: Call) => boolean, timeoutMs?: number): Promise<Call>;
  close(): Promise<void>;
}

/** Starts the stack; `t1Ms` shortens the SIP timers so a silent provider times out in 64*T1. */
export async function startCallsStack(options: { t1Ms?: number } = {}): Promise<CallsStack> {
  const dir = await mkdtemp(join(tmpdir(), 'callbin-calls-'));
  const store = await openStore({ dataDir: dir, clock: systemClock });
  const transport = new SipTransport({ clock: systemClock, logger: silentLogger });
  const bound = await transport.listenUdp({ host: '127.0.0.1', port: 0 });
  const t1Ms = options.t1Ms ?? 50;
  const layer = new TransactionLayer({
    transport,
    clock: systemClock,
    timers: { t1Ms, t4Ms: 10 * t1Ms, timerDMs: 10 * t1Ms },
  });
  const ua = new UserAgent({ layer, contacts: [{ host: '127.0.0.1', port: bound.port, transport: 'UDP' }] });
  const allocator = randomPortAllocator(40);
  const mediaClock = new MediaClock();
  const endpointOptions = { allocator, address: '127.0.0.1', mediaClock };
  const media = new CallMedia();
  const callStore = new MemoryCallStore();
  const flows = new ScriptedFlows();
  const service = new CallService({
    store: callStore,
    flows,
    media,
    recorder: noRecorder,
    signaling: new CallSignaling({ ua, media, endpointOptions, fromHost: '127.0.0.1' }),
    routing: new RoutingAdapter({ store }),
    directory: new DirectoryAdapter({ store }),
  });
  const incoming = new IncomingCalls({
    ua,
    store,
    media,
    endpointOptions,
    calls: service,
    providers: new ProviderAddressBook({ store, ttlMs: 0 }),
    accounts: new StoreRegistrarBackend({ store, clock: systemClock, sipDomain: 'sip.callbin.test' }),
    digest: new DigestGuard({
      challenger: new DigestChallenger({ secret: Buffer.from('calls-e2e-secret'), clock: systemClock }),
      clock: systemClock,
    }),
  });
  incoming.start();
  const events: CallEvent[] = [];
  const waiters = new Set<(call: Call) => void>();
  service.onEvent((event) => {
    events.push(event);
    for (const w of [...waiters]) w(event.call);
  });
  const customer = await store.customers.create({
    name: 'calls e2e',
    detail: '',
    email: '',
    webhook_method: 'POST',
    webhook_uri: '',
    webhook_secret: '',
    webhook_event_types: [],
  });
  return {
    dir,
    store,
    ua,
    sipPort: bound.port,
    allocator,
    media,
    service,
    callStore,
    flows,
    customerId: customer.id,
    events,
    waitFor: (predicate, timeoutMs = 15_000) => {
      const done = events.find((e) => predicate(e.call));
      if (done) return Promise.resolve(done.call);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no call event matched within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = (call: Call): void => {
          if (!predicate(call)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(call);
        };
        waiters.add(check);
      });
    },
    close: async () => {
      await incoming.stop();
      await Promise.allSettled([...flows.running]);
      await service.whenIdle();
      service.close();
      await ua.close();
      await media.close();
      layer.close();
      await transport.close();
      mediaClock.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A sipp process in the background (a fake provider or a caller). */
export interface SippProcess {
  /** Resolves with the exit code and output once sipp exits. */
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Kills sipp (SIGKILL) and waits for it; fine after it exited. */
  stop(): Promise<void>;
}

/** Starts `sipp args…` in a fresh temporary working directory. */
export async function startSipp(args: readonly string[]): Promise<SippProcess> {
  const cwd = await mkdtemp(join(tmpdir(), 'callbin-sipp-'));
  const child = spawn('sipp', [...args, '-nostdin'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  }).finally(() => rm(cwd, { recursive: true, force: true }));
  return {
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited.catch(() => undefined);
    },
  };
}

/** Waits until something holds UDP `port` on `host` (sipp has bound it); stops early once `gone()` says it never will. */
export async function waitForUdpBound(
  port: number,
  timeoutMs = 5_000,
  gone: () => boolean = () => false,
  host = '127.0.0.1',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone()) throw new Error(`the process meant to bind UDP port ${port} exited`);
    const socket = createSocket('udp4');
    const inUse = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(true));
      socket.bind(port, host, () => resolve(false));
    });
    await new Promise<void>((resolve) => (inUse ? resolve() : socket.close(() => resolve())));
    if (inUse) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
}

/**
 * A caller's media on a UDP socket the test owns: counts the RTP callbin sends (and how much of it
 * is audible), and can answer with a PCMU tone sent back to wherever callbin's RTP comes from.
 */
export class RtpProbe extends CallerRtpSocket {
  packets = 0;
  audiblePackets = 0;

  /** Binds a probe on 127.0.0.1 on an ephemeral port. */
  static async open(): Promise<RtpProbe> {
    return new RtpProbe(await CallerRtpSocket.bind());
  }

  protected override onPcmu(payload: Uint8Array): void {
    this.packets += 1;
    if (peakOfMulaw(payload) > 1000) this.audiblePackets += 1;
  }

  /** Sends a 1 kHz PCMU tone every 20 ms to where callbin's RTP comes from, until stop(). */
  startTone(): void {
    const pcm = tone([1000], 20, { fadeMs: 0 });
    const payload = new Uint8Array(160);
    pcm.forEach((s, i) => (payload[i] = MULAW_ENCODE_TABLE[s & 0xffff] ?? 0xff));
    let seq = 0;
    this.timer = setInterval(() => {
      if (!this.connected) return;
      this.send({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: seq * 160, ssrc: 0x1234abcd, payload });
      seq += 1;
    }, 20);
  }

  /** Resets the counters. */
  reset(): void {
    this.packets = 0;
    this.audiblePackets = 0;
  }
}
