import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { goertzelPower } from '../../src/media/testing/tones.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { CustomerServer, toneSamples, wavOf } from '../support/flows-peers.ts';
import { freePort } from '../support/sipp.ts';
import { ToneRtpPeer } from '../support/tone-rtp-peer.ts';

/** The customer's and the call's own music: tones far from the built-in melody's notes (98-784 Hz). */
const CUSTOMER_HZ = 1400;
const CALL_HZ = 1800;
/** 400 ms at 8 kHz: the window each check looks at. */
const WINDOW = 3200;

const level = (pcm: Int16Array, hz: number): number => 2 * Math.sqrt(goertzelPower(pcm, hz));
const rms = (pcm: Int16Array): number => Math.sqrt(pcm.reduce((s, v) => s + v * v, 0) / Math.max(1, pcm.length));

/** Which of the custom tones the last 400 ms heard carry ('built-in' when it is loud music without them, 'quiet' otherwise). */
function heardMusic(peer: ToneRtpPeer, since: number): string {
  const all = peer.heardSince(since);
  if (all.length < WINDOW) return 'nothing yet';
  const pcm = all.subarray(all.length - WINDOW);
  for (const hz of [CUSTOMER_HZ, CALL_HZ]) if (level(pcm, hz) > 4000) return `${hz} Hz`;
  return rms(pcm) > 500 ? 'built-in' : 'quiet';
}

/** Waits until the held party hears `what` (a check of the last 400 ms, repeated until true). */
async function untilHeard(peer: ToneRtpPeer, since: number, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while ((last = heardMusic(peer, since)) !== what) {
    if (Date.now() > deadline) throw new Error(`the held party heard ${last}, not ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('music on hold: the customer or the call names the file; anything wrong plays the built-in music', () => {
  let cb: TestCallbin;
  let files: CustomerServer;
  const sipps: SippProcess[] = [];
  before(async () => {
    // local mode (the test default) lets callbin fetch from this loopback server.
    cb = await startTestCallbin();
    files = await CustomerServer.start();
    files.on('/customer.wav', { body: wavOf(toneSamples(2000, CUSTOMER_HZ)), contentType: 'audio/wav' });
    files.on('/call.wav', { body: wavOf(toneSamples(2000, CALL_HZ)), contentType: 'audio/wav' });
  });
  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await files.close();
    await cb.close();
  });

  /**
   * An answered outgoing call to a sipp UAS that takes one hold and one unhold, its audio reaching a
   * silent peer: moh on, then hold (with `hold` as the body); `check` runs while it is held; then
   * unhold (the music stops) and hangup. The route is removed whatever happens, so the next call dials its own sipp.
   */
  async function withHeldCall(
    hold: { moh_url?: string },
    check: (peer: ToneRtpPeer, callId: string) => Promise<void>,
  ): Promise<void> {
    const peer = await ToneRtpPeer.open(0, 0);
    const provider = await startSippProvider('e2e-uas-hold-unhold.xml', ['-key', 'rtp_port', String(peer.port)]);
    sipps.push(provider.sipp);
    const routeId = await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    try {
      const [call] = expectStatus(
        await cb.api('POST', '/v1.0/calls', {
          source: { type: 'tel', target: '+15550001000' },
          destinations: [{ type: 'tel', target: '+15550002100' }],
          actions: [{ type: 'sleep', option: { duration: 30_000 } }],
        }),
        200,
      ).calls;
      await waitForCall(cb, call.id, (c) => c.status === 'progressing');
      expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/moh`), 200);
      expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hold`, hold), 200);
      await check(peer, call.id);
      const unheld = peer.mark();
      expectStatus(await cb.api('DELETE', `/v1.0/calls/${call.id}/hold`), 200);
      await untilHeard(peer, unheld, 'quiet');
      // The unhold re-INVITE runs in the background; its signalling is calls-hold.test.ts's subject.
      await new Promise((r) => setTimeout(r, 500));
      expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
      await waitForCall(cb, call.id, (c) => c.status === 'hangup');
    } finally {
      await provider.sipp.stop();
      expectStatus(await cb.api('DELETE', `/v1.0/routes/${routeId}`), 200);
      await peer.close();
    }
  }

  it("a held call hears its customer's moh_url, then the call's own moh_url given on the moh request", async (t) => {
    const me = expectStatus(await cb.api('PUT', '/v1.0/customer', { moh_url: files.url('/customer.wav') }), 200);
    assert.equal(me.moh_url, files.url('/customer.wav'));
    assert.equal(expectStatus(await cb.api('GET', '/v1.0/customer'), 200).moh_url, files.url('/customer.wav'));
    await withHeldCall({}, async (peer, callId) => {
      await untilHeard(peer, 0, `${CUSTOMER_HZ} Hz`);
      const window = peer.heardSince(peer.mark() - WINDOW);
      t.diagnostic(
        `customer music: ${CUSTOMER_HZ} Hz level ${Math.round(level(window, CUSTOMER_HZ))}, rms ${Math.round(rms(window))}`,
      );
      // The call's own file replaces the customer's while the call stays held.
      const mark = peer.mark();
      expectStatus(await cb.api('POST', `/v1.0/calls/${callId}/moh`, { moh_url: files.url('/call.wav') }), 200);
      await untilHeard(peer, mark, `${CALL_HZ} Hz`);
    });
    assert.equal(files.requestsTo('/customer.wav').length, 1, 'the file was fetched once');
  });

  it("the hold request's own moh_url wins over the customer's", async () => {
    expectStatus(await cb.api('PUT', '/v1.0/customer', { moh_url: files.url('/customer.wav') }), 200);
    await withHeldCall({ moh_url: files.url('/call.wav') }, async (peer) => {
      await untilHeard(peer, 0, `${CALL_HZ} Hz`);
    });
  });

  it('without moh_url, and with an unreachable one, the held call hears the built-in music', async (t) => {
    for (const mohUrl of ['', `http://127.0.0.1:${await freePort('tcp')}/gone.wav`]) {
      expectStatus(await cb.api('PUT', '/v1.0/customer', { moh_url: mohUrl }), 200);
      await withHeldCall({}, async (peer) => {
        await untilHeard(peer, 0, 'built-in');
        // A second later it is still the melody: nothing switched to a file meanwhile.
        await new Promise((r) => setTimeout(r, 1000));
        const window = peer.heardSince(peer.mark() - 8000);
        t.diagnostic(
          `${mohUrl || 'no moh_url'}: rms ${Math.round(rms(window))}, ${CUSTOMER_HZ} Hz level ${Math.round(level(window, CUSTOMER_HZ))}`,
        );
        assert.ok(rms(window) > 500, 'music plays');
        assert.ok(level(window, CUSTOMER_HZ) < 500 && level(window, CALL_HZ) < 500, 'no file tone');
      });
    }
  });

  it('a moh_url that is no http(s) URL is refused 400 on the customer and on the call', async () => {
    const bad = expectStatus(await cb.api('PUT', '/v1.0/customer', { moh_url: 'file:///etc/passwd' }), 400);
    assert.deepEqual(
      bad.error.details.map((d: { field: string; reason: string }) => [d.field, d.reason]),
      [['moh_url', 'INVALID_MEDIA_URL']],
    );
    const customers = expectStatus(await cb.api('GET', '/v1.0/customers'), 200).result as { id: string }[];
    const other = expectStatus(
      await cb.api('PUT', `/v1.0/customers/${customers[0]?.id}`, { moh_url: files.url('/call.wav') }),
      200,
    );
    assert.equal(other.moh_url, files.url('/call.wav'));
    await withHeldCall({}, async (_peer, callId) => {
      const refused = expectStatus(
        await cb.api('POST', `/v1.0/calls/${callId}/moh`, { moh_url: 'ftp://x/a.wav' }),
        400,
      );
      assert.equal(refused.error.details[0].field, 'moh_url');
      assert.equal(refused.error.details[0].reason, 'INVALID_MEDIA_URL');
    });
  });
});
