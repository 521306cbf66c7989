import { freePort } from '../../../test/support/sipp.ts';
import { startKamailio, startRtpengine } from '../baseline-servers.ts';
import type { BenchEnv, SipTarget } from '../bench-env.ts';
import { ServerProbe } from '../proc-stats.ts';
import { startEchoCallee } from './echo-callee.ts';
import type { EchoCallee } from './echo-callee.ts';

/** What the media scenarios run against: callbin and the Kamailio + rtpengine baseline, both calling the echo callee. */
export interface MediaEnv {
  callbin: SipTarget;
  kamailioMedia: SipTarget;
  callee: EchoCallee;
  /** Gives callbin its callee back and stops what was started here. */
  close(): Promise<void>;
}

interface ProviderRow {
  id: string;
  hostname: string;
  port: number;
}

/**
 * Starts the media scenarios' callee (media/echo-callee.ts: sipp answering, rtp-echo.c echoing, on
 * the load core) and points the bench env's callbin at it (its callee provider's port) and a
 * Kamailio proxy + userspace rtpengine at it (on the server core), so callbin and the baseline
 * relay to the same callee.
 */
export async function startMediaEnv(env: BenchEnv): Promise<MediaEnv> {
  const stops: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const callee = await startEchoCallee({ port: await freePort('udp'), pin: env.pins.load });
    stops.push(() => callee.stop());
    const api = env.callbin.server.api;
    const page = (await api('GET', '/providers?page_size=100')) as { result: ProviderRow[] };
    const provider = page.result.find((p) => p.hostname === '127.0.0.1' && p.port === env.uas.port);
    if (!provider) throw new Error(`no callbin provider for the callee on port ${env.uas.port}`);
    await api('PUT', `/providers/${provider.id}`, { port: callee.port });
    stops.push(async () => void (await api('PUT', `/providers/${provider.id}`, { port: env.uas.port })));
    const ngPort = await freePort('udp');
    const rtp = await startRtpengine({ ngPort, portMin: 40000, portMax: 49999, pin: env.pins.server });
    stops.push(() => rtp.stop());
    const k = await startKamailio({
      mode: 'proxy',
      port: await freePort('udp'),
      pin: env.pins.server,
      uasPort: callee.port,
      ngPort,
    });
    stops.push(() => k.stop());
    const kamailioMedia: SipTarget = {
      name: 'kamailio+rtpengine',
      host: '127.0.0.1',
      port: k.port,
      callerPort: await freePort('udp'),
      numbers: { ...env.callbin.numbers },
      probe: new ServerProbe([k.pid, rtp.pid]),
    };
    return { callbin: env.callbin, kamailioMedia, callee, close };
  } catch (err) {
    await close();
    throw err;
  }
}
