import { systemClock } from '../../src/shared/index.ts';
import type { Clock } from '../../src/shared/index.ts';
import { UserAgent } from '../../src/sip/dialog/index.ts';
import type { LocalContact, UserAgentOptions } from '../../src/sip/dialog/index.ts';
import { TransactionLayer } from '../../src/sip/transaction/index.ts';
import type { TimerConfig } from '../../src/sip/transaction/index.ts';
import { SipTransport } from '../../src/sip/transport/index.ts';
import type { SipTransportOptions } from '../../src/sip/transport/index.ts';

/** Options of {@link startTestUa}. */
export interface TestUaOptions {
  /** Listen on UDP, TCP or both (each on an ephemeral port). */
  transport: 'udp' | 'tcp' | 'both';
  host?: string;
  clock?: Clock;
  timers?: Partial<TimerConfig>;
  transportOptions?: SipTransportOptions;
  ua?: Partial<Omit<UserAgentOptions, 'layer' | 'contacts' | 'clock'>>;
}

/** A user agent on real sockets, for e2e tests. */
export interface TestUa {
  ua: UserAgent;
  transport: SipTransport;
  layer: TransactionLayer;
  /** The port of the first listener (UDP when both). */
  port: number;
  /** Port per transport. */
  ports: { udp?: number; tcp?: number };
  /** Close the UA (BYE its dialogs), the transaction layer and every socket. */
  close(): Promise<void>;
}

/** Start a test UA on `127.0.0.1` (or `host`) with ephemeral ports. */
export async function startTestUa(options: TestUaOptions): Promise<TestUa> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const transport = new SipTransport({ clock, ...options.transportOptions });
  const contacts: LocalContact[] = [];
  const ports: { udp?: number; tcp?: number } = {};
  if (options.transport !== 'tcp') {
    ports.udp = (await transport.listenUdp({ host, port: 0 })).port;
    contacts.push({ host, port: ports.udp, transport: 'UDP' });
  }
  if (options.transport !== 'udp') {
    ports.tcp = (await transport.listenTcp({ host, port: 0 })).port;
    contacts.push({ host, port: ports.tcp, transport: 'TCP' });
  }
  const layer = new TransactionLayer({ transport, clock, ...(options.timers ? { timers: options.timers } : {}) });
  const ua = new UserAgent({ layer, clock, contacts, ...options.ua });
  let closing: Promise<void> | undefined;
  return {
    ua,
    transport,
    layer,
    port: contacts[0]!.port,
    ports,
    close() {
      closing ??= (async () => {
        await ua.close();
        layer.close();
        await transport.close();
      })();
      return closing;
    },
  };
}
