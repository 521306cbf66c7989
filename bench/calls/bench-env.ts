import { freePort } from '../../test/support/sipp.ts';
import { startKamailio, startRtpengine } from './baseline-servers.ts';
import type { BaselineServer } from './baseline-servers.ts';
import { BENCH_NUMBERS, configureCallbin, startCallbinServer, startWebhookSink } from './callbin-server.ts';
import type { CallbinServer, WebhookSink } from './callbin-server.ts';
import { ServerProbe } from './proc-stats.ts';
import { startSippServer } from './sipp-run.ts';
import type { CpuPin, SippServer } from './sipp-run.ts';
import { requireBinaries } from './system-tools.ts';

/** A SIP server under test as the scenarios see it: where to send, what to dial, what to measure. */
export interface SipTarget {
  name: string;
  host: string;
  port: number;
  /** The caller's source port (callbin trusts it as a provider). */
  callerPort: number;
  /** Request-URI user parts per kind of call. */
  numbers: { answerHangup: string; connect: string; talk: string };
  probe: ServerProbe;
}

/** Everything one benchmark run started. */
export interface BenchEnv {
  callbin: SipTarget & { server: CallbinServer };
  /** Kamailio answering on its own (CPS, cost, latency baseline). */
  kamailio?: SipTarget;
  /** Kamailio proxying to the sipp UAS with rtpengine relaying media (media baseline). */
  kamailioMedia?: SipTarget;
  webhooks: WebhookSink;
  uas: SippServer;
  /** Core of the load generator (sipp, RTP peer, HTTP load) and of the servers. */
  pins: { load: CpuPin; server: CpuPin };
  close(): Promise<void>;
}

/** Which parts a run needs. */
export interface BenchEnvOptions {
  kamailio?: boolean;
  kamailioMedia?: boolean;
  /** Install missing tools with apt-get when root (the bench script); never in tests. */
  install?: boolean;
  /** Pin load to core 0 and servers to core 1 (needs two cores). Default: on when there are two. */
  pin?: boolean;
  /** Extra node flags for callbin (`--cpu-prof --cpu-prof-dir=<dir>` to profile it). */
  callbinNodeArgs?: readonly string[];
}

/** Starts callbin (configured), the sipp UAS callee and the requested baselines on free ports. */
export async function startBenchEnv(o: BenchEnvOptions): Promise<BenchEnv> {
  requireBinaries(
    [
      'sipp',
      'taskset',
      ...(o.kamailio || o.kamailioMedia ? ['kamailio'] : []),
      ...(o.kamailioMedia ? ['rtpengine'] : []),
    ],
    { install: o.install ?? false },
  );
  const pins = o.pin === false ? { load: undefined, server: undefined } : { load: '0', server: '1' };
  const stops: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const webhooks = await startWebhookSink();
    stops.push(() => webhooks.close());
    // The callee gets its own core share with the load generator: it is part of the load.
    const uas = await startSippServer({
      port: await freePort('udp'),
      mediaPort: await freePort('udp'),
      rtpEcho: true,
      pin: pins.load,
    });
    stops.push(() => uas.stop());
    const server = await startCallbinServer({
      pin: pins.server,
      ...(o.callbinNodeArgs ? { nodeArgs: o.callbinNodeArgs } : {}),
    });
    stops.push(() => server.stop());
    const callerPort = await freePort('udp');
    await configureCallbin(server, { webhookUrl: webhooks.url, callerPort, uasPort: uas.port });
    const env: BenchEnv = {
      callbin: {
        name: 'callbin',
        host: '127.0.0.1',
        port: server.sipPort,
        callerPort,
        numbers: { ...BENCH_NUMBERS },
        probe: new ServerProbe([server.pid]),
        server,
      },
      webhooks,
      uas,
      pins,
      close,
    };
    const dialled = {
      answerHangup: BENCH_NUMBERS.answerHangup,
      connect: BENCH_NUMBERS.connect,
      talk: BENCH_NUMBERS.talk,
    };
    if (o.kamailio) {
      const k: BaselineServer = await startKamailio({ mode: 'uas', port: await freePort('udp'), pin: pins.server });
      stops.push(() => k.stop());
      env.kamailio = {
        name: 'kamailio',
        host: '127.0.0.1',
        port: k.port,
        callerPort: await freePort('udp'),
        numbers: dialled,
        probe: new ServerProbe([k.pid]),
      };
    }
    if (o.kamailioMedia) {
      const ngPort = await freePort('udp');
      const rtp = await startRtpengine({ ngPort, portMin: 40000, portMax: 49999, pin: pins.server });
      stops.push(() => rtp.stop());
      const k = await startKamailio({
        mode: 'proxy',
        port: await freePort('udp'),
        pin: pins.server,
        uasPort: uas.port,
        ngPort,
      });
      stops.push(() => k.stop());
      env.kamailioMedia = {
        name: 'kamailio+rtpengine',
        host: '127.0.0.1',
        port: k.port,
        callerPort: await freePort('udp'),
        numbers: dialled,
        probe: new ServerProbe([k.pid, rtp.pid]),
      };
    }
    return env;
  } catch (err) {
    await close();
    throw err;
  }
}
