import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, NIL_UUID, TransactionTimeoutError } from '../../shared/index.ts';
import type { SipResponse } from '../../sip/index.ts';
import type { Provider, Store } from '../../store/index.ts';
import { ProviderHealth, providerPingUri } from './provider-health.ts';

function provider(id: string, port: number): Provider {
  return {
    id,
    customer_id: NIL_UUID,
    type: 'sip',
    hostname: '10.0.0.1',
    port,
    transport: 'udp',
    tech_prefix: '',
    tech_postfix: '',
    tech_headers: {},
    auth_username: '',
    auth_password: '',
    name: id,
    detail: '',
    codecs: [],
    tm_create: '',
    tm_update: '',
  };
}

/** A UA whose OPTIONS answers are scripted per URI: a status, or `undefined` for no answer at all. */
class ScriptedUa {
  readonly answers = new Map<string, number | undefined>();
  readonly sent: string[] = [];
  async options(uri: string): Promise<SipResponse> {
    this.sent.push(uri);
    const status = this.answers.get(uri);
    if (status === undefined) throw new TransactionTimeoutError(`OPTIONS ${uri}: no final response`);
    return { kind: 'response', status, reason: '', headers: undefined as never, body: Buffer.alloc(0) };
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ProviderHealth', () => {
  const a = provider('a', 5060);
  const b = provider('b', 5070);
  const store = { providers: { list: async () => ({ items: [a, b], nextPageToken: '' }) } } as unknown as Pick<
    Store,
    'providers'
  >;

  it('pings every provider each interval; 3 unanswered pings make it unhealthy, any answer (even 404) healthy again', async () => {
    const clock = new FakeClock();
    const ua = new ScriptedUa();
    ua.answers.set(providerPingUri(a), 200);
    const health = new ProviderHealth({ ua, store, clock, intervalMs: 30_000, failureThreshold: 3 });
    health.start();
    await flush();
    assert.deepEqual(ua.sent, ['sip:10.0.0.1:5060;transport=udp', 'sip:10.0.0.1:5070;transport=udp']);
    assert.ok(health.isHealthy('b'), 'one miss is not enough');
    clock.advance(30_000);
    await flush();
    assert.ok(health.isHealthy('b'), 'two misses are not enough');
    clock.advance(30_000);
    await flush();
    assert.equal(ua.sent.length, 6);
    assert.equal(health.isHealthy('b'), false);
    assert.ok(health.isHealthy('a'));
    ua.answers.set(providerPingUri(b), 404);
    clock.advance(30_000);
    await flush();
    assert.ok(health.isHealthy('b'), 'the first answer brings it back');
    await health.stop();
    assert.equal(clock.pending, 0, 'no timer left after stop');
  });

  it('an unanswered ping between answers resets nothing until the threshold; unknown providers are healthy', async () => {
    const clock = new FakeClock();
    const ua = new ScriptedUa();
    const health = new ProviderHealth({ ua, store, clock, failureThreshold: 2 });
    await health.checkNow();
    ua.answers.set(providerPingUri(a), 200);
    await health.checkNow();
    ua.answers.delete(providerPingUri(a));
    await health.checkNow();
    assert.ok(health.isHealthy('a'), 'a miss after an answer starts counting again');
    await health.checkNow();
    assert.equal(health.isHealthy('a'), false);
    assert.ok(health.isHealthy('never-seen'));
  });
});
