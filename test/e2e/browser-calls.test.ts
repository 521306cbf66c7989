import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heardTones, launchBrowser, writeToneWav } from '../support/browser.ts';
import type { TestBrowser } from '../support/browser.ts';
import { openClient, startClientServer } from '../support/browser-clients.ts';
import type { BrowserClient, ClientKind, ClientServer } from '../support/browser-clients.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createNumberWithFlow,
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { toneAmplitude } from '../support/phones.ts';
import { downloadFiles, samplesOf } from '../support/recording-files.ts';

const PASSWORD = 'Browser-pass-2024';
const TALK_NUMBER = '+15550001000';

interface Heard {
  windows: number;
  loud: number;
  peakRms: number;
  loudShare: number;
}

describe('browsers place calls over WebRTC (JsSIP and SIP.js in Chromium)', { timeout: 240_000 }, () => {
  let cb: TestCallbin;
  let browser: TestBrowser;
  let server: ClientServer;
  let wsUrl = '';
  let alice: { id: string; domain_name: string };
  let carrier: SippProcess | undefined;

  before(async () => {
    cb = await startTestCallbin({ sipWsPort: 0 });
    wsUrl = `ws://127.0.0.1:${cb.handle.sip.wsPort}/`;
    alice = expectStatus(await cb.api('POST', '/v1.0/extensions', { extension: 'alice', password: PASSWORD }), 200);
    await createNumberWithFlow(cb, TALK_NUMBER, [
      { type: 'answer' },
      {
        type: 'talk',
        option: {
          text: 'hello from callbin, this is a call placed from a browser over web r t c, thank you for calling',
          language: 'en-US',
        },
      },
      { type: 'hangup' },
    ]);
    browser = await launchBrowser({ microphoneWav: await writeToneWav(1000, 30) });
    server = await startClientServer();
  });
  after(async () => {
    await carrier?.stop();
    await browser?.close();
    await server?.close();
    await cb?.close();
  });

  /** A new tab with a `kind` client registered as alice (`rawAudio`: no echo cancellation, noise suppression or gain). */
  async function signedIn(kind: ClientKind, o: { rawAudio?: boolean } = {}): Promise<BrowserClient> {
    const client = await openClient(browser, server, kind);
    await client.register({
      uri: `sip:alice@${alice.domain_name}`,
      wsUrl,
      username: 'alice',
      password: PASSWORD,
      trace: process.env.CALLBIN_TEST_SIP_TRACE === '1',
      ...(o.rawAudio ? { rawAudio: true } : {}),
    });
    await client.waitFor((s) => s.registration === 'registered', 'registered');
    return client;
  }

  const kinds = (process.env.CALLBIN_TEST_BROWSER_CLIENTS?.split(',') ?? ['jssip', 'sipjs']) as ClientKind[];
  for (const kind of kinds) {
    it(`${kind}: registers, calls a number whose flow talks, hears speech, and the flow ends the call`, async () => {
      const client = await signedIn(kind);
      await client.call(TALK_NUMBER);
      await client.waitFor((s) => s.call === 'established', 'the call is answered', 20_000);
      const ended = await client.waitFor((s) => s.call === 'ended' || s.call === 'failed', 'the flow hangs up', 60_000);
      assert.equal(ended.call, 'ended', JSON.stringify(ended));
      const heard = (await client.page.evaluate(() => (globalThis as any).__callbinHeard())) as Heard;
      assert.ok(heard.windows > 20, `the page listened to the call: ${JSON.stringify(heard)}`);
      // Speech: loud most of the time while the talk plays, with pauses between words.
      assert.ok(heard.loudShare > 0.3, `speech-like energy for the talk's duration: ${JSON.stringify(heard)}`);
      assert.ok(heard.loudShare < 1, `speech has pauses, not a steady tone: ${JSON.stringify(heard)}`);
      await client.stop();
      await client.page.close();
    });
  }

  it('jssip: calls a number of the public network through the route; the carrier (sipp) echoes the browser back', async () => {
    // A carrier for +1 that answers with an RTP echo and hangs up 3 s after the ACK. It lives at
    // 127.0.0.2: INVITEs from a provider's address are the provider's, and the browser is at 127.0.0.1.
    const provider = await startSippProvider('e2e-uas-echo-bye.xml', ['-rtp_echo'], '127.0.0.2');
    carrier = provider.sipp;
    await createRoute(cb, await createProvider(cb, provider.port, '127.0.0.2'), 1, '+1');
    const client = await signedIn('jssip', { rawAudio: true });
    await client.call('+15550004000');
    await client.waitFor((s) => s.call === 'established', 'the carrier answers', 20_000);
    // The browser's 1 kHz microphone went out through the route and came back from the carrier.
    const heard = await heardTones(client.page, [1000, 440], 1000);
    assert.ok(
      (heard[1000] ?? 0) > 4 * (heard[440] ?? 0),
      `the browser hears its own tone echoed: ${JSON.stringify(heard)}`,
    );
    assert.ok((heard[1000] ?? 0) > 0.02, `loud enough to be the echo: ${JSON.stringify(heard)}`);
    // The carrier hangs up: the bridge ends and the browser's call with it.
    await client.waitFor((s) => s.call === 'ended' || s.call === 'failed', 'the call ends with the carrier', 20_000);
    const calls = expectStatus(await cb.api('GET', '/v1.0/calls?page_size=10'), 200).result as {
      destination: { target: string };
    }[];
    assert.ok(
      calls.some((c) => c.destination.target === '+15550004000'),
      'a chained call went out to the number',
    );
    await client.stop();
    await client.page.close();
  });

  it("jssip: a flow records the browser; the recording holds the browser's tone", async () => {
    const recorded = '+15550001001';
    await createNumberWithFlow(cb, recorded, [
      { type: 'answer' },
      { type: 'recording_start' },
      { type: 'sleep', option: { duration: 3000 } },
      { type: 'recording_stop' },
      { type: 'hangup' },
    ]);
    const client = await signedIn('jssip', { rawAudio: true });
    await client.call(recorded);
    await client.waitFor((s) => s.call === 'ended' || s.call === 'failed', 'the flow records and hangs up', 30_000);
    const calls = expectStatus(await cb.api('GET', '/v1.0/calls?page_size=20'), 200).result as {
      id: string;
      destination: { target: string };
    }[];
    const call = calls.find((c) => c.destination.target === recorded);
    assert.ok(call, 'the call is listed');
    const [rec] = expectStatus(await cb.api('GET', `/v1.0/recordings?reference_id=${call.id}`), 200).result as {
      id: string;
      status: string;
    }[];
    assert.equal(rec?.status, 'ended');
    const files = await downloadFiles(cb.handle.apiUrl, cb.handle.admin?.accessKey ?? '', rec.id);
    const said = samplesOf(files.get(`${rec.id}_in.wav`));
    assert.ok(said.length >= 8000 * 2, `about 3 s recorded: ${said.length / 8000} s`);
    // What the browser said is its microphone's 1 kHz tone, decoded from Opus.
    assert.ok(toneAmplitude(said, 1000) > 500, `1 kHz in _in.wav: ${toneAmplitude(said, 1000).toFixed(0)}`);
    assert.ok(toneAmplitude(said, 1000) > 5 * toneAmplitude(said, 440), 'the tone, not noise');
    await client.stop();
    await client.page.close();
  });
});
