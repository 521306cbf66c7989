import { FakeClock } from '../../shared/index.ts';
import { TransactionLayer } from '../transaction/index.ts';
import { LoopbackNetwork } from './loopback-network.ts';
import type { LoopbackTransport } from './loopback-network.ts';
import { UserAgent } from '../dialog/user-agent.ts';
import type { UserAgentOptions } from '../dialog/user-agent.ts';

/** Two user agents on a fake clock and a loopback network, for unit tests. */
export interface UaPair {
  clock: FakeClock;
  network: LoopbackNetwork;
  alice: UserAgent;
  bob: UserAgent;
  aliceLayer: TransactionLayer;
  bobLayer: TransactionLayer;
  /** Where bob listens, as a SIP URI. */
  bobUri: string;
  /** Let queued deliveries and promise chains run (real event-loop turns; the clock does not move). */
  settle(): Promise<void>;
  /** Advance the fake clock in steps, settling after each. */
  advance(ms: number, stepMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Alice on 127.0.0.1:5061 and Bob on 127.0.0.1:5062, with extra UA options for Bob. */
export function createUaPair(bobOptions: Partial<UserAgentOptions> = {}): UaPair {
  const clock = new FakeClock();
  const network = new LoopbackNetwork();
  const make = (port: number, extra: Partial<UserAgentOptions>): [UserAgent, TransactionLayer, LoopbackTransport] => {
    const transport = network.endpoint(port);
    const layer = new TransactionLayer({ transport, clock });
    const ua = new UserAgent({ layer, clock, contacts: [{ host: '127.0.0.1', port, transport: 'UDP' }], ...extra });
    return [ua, layer, transport];
  };
  const [alice, aliceLayer] = make(5061, { user: 'alice' });
  const [bob, bobLayer] = make(5062, { user: 'bob', ...bobOptions });
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return {
    clock,
    network,
    alice,
    bob,
    aliceLayer,
    bobLayer,
    bobUri: 'sip:bob@127.0.0.1:5062',
    settle,
    async advance(ms, stepMs = 100) {
      for (let done = 0; done < ms; done += stepMs) {
        clock.advance(Math.min(stepMs, ms - done));
        await settle();
      }
    },
    async close() {
      const closing = Promise.all([alice.close(), bob.close()]);
      await settle();
      clock.advance(5_000);
      await closing;
      aliceLayer.close();
      bobLayer.close();
    },
  };
}
