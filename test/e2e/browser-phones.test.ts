// Same room (docs/webrtc.md): a browser (JsSIP in Chromium, its fake microphone playing 1 kHz) and a
// SIP phone (baresip playing 440 Hz) call each other through callbin, and a flow's `connect` rings
// the browser; each side must hear the other's tone, checked by frequency.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { heardTones } from '../support/browser.ts';
import type { TestBrowser } from '../support/browser.ts';
import type { BrowserClient, ClientServer } from '../support/browser-clients.ts';
import { startSippCaller } from '../support/callbin.ts';
import { listen, pause, rms, startPhoneLab, toneAmplitude } from '../support/phones.ts';
import type { Phone, PhoneLab } from '../support/phones.ts';
import {
  PROVIDER_IP,
  createPstnProvider,
  explained,
  randomRtpRange,
  registeredBrowser,
  untilHeard,
} from '../support/same-room.ts';
import { ToneRtpPeer } from '../support/tone-rtp-peer.ts';

const PASSWORD = 'Browser-pass-2024';
/** What the browser's microphone plays, and what the phone plays. */
const BROWSER_HZ = 1000;
const PHONE_HZ = 440;
/** At the phone (8 kHz PCM; the browser sends its tone at 0.3 of full scale, about 9800). */
const PHONE_HEARD = 2000;
const PHONE_ABSENT = 400;
/** In the browser (0–1 of full scale; the phone plays at 8000/32768, about 0.24). */
const BROWSER_HEARD = 0.05;
const BROWSER_ABSENT = 0.01;

/** Listens on both ends at once (1.5 s windows) until each hears the other's tone and not its own. */
async function assertTwoWayAudio(client: BrowserClient, phone: Phone, what: string): Promise<void> {
  await untilHeard(
    async () => {
      const [[phoneHeard = new Int16Array(0)], tones] = await Promise.all([
        listen([phone], 1500),
        heardTones(client.page, [BROWSER_HZ, PHONE_HZ], 1500),
      ]);
      return { phoneHeard, tones };
    },
    ({ phoneHeard, tones }) => {
      const atPhone = {
        [BROWSER_HZ]: toneAmplitude(phoneHeard, BROWSER_HZ),
        [PHONE_HZ]: toneAmplitude(phoneHeard, PHONE_HZ),
      };
      const detail = `at the phone ${JSON.stringify(atPhone)} (${phoneHeard.length} samples, rms ${rms(phoneHeard).toFixed(0)}), in the browser ${JSON.stringify(tones)}`;
      const checks: [boolean, string][] = [
        [phoneHeard.length >= 4000, 'the phone recorded at least half a second'],
        [atPhone[BROWSER_HZ] > PHONE_HEARD, `the phone hears the browser's ${BROWSER_HZ} Hz`],
        [atPhone[PHONE_HZ] < PHONE_ABSENT, `the phone does not hear its own ${PHONE_HZ} Hz`],
        [(tones[PHONE_HZ] ?? 0) > BROWSER_HEARD, `the browser hears the phone's ${PHONE_HZ} Hz`],
        [(tones[BROWSER_HZ] ?? 1) < BROWSER_ABSENT, `the browser does not hear its own ${BROWSER_HZ} Hz`],
      ];
      return checks.filter(([ok]) => !ok).map(([, text]) => `${what}: ${text}; ${detail}`);
    },
  );
}

describe('a browser and a SIP phone call each other through callbin', { timeout: 300_000 }, () => {
  let lab: PhoneLab;
  let browser: TestBrowser;
  let server: ClientServer;
  let client: BrowserClient;
  let phone: Phone;

  before(async () => {
    lab = await startPhoneLab({ sipWsPort: 0, ...randomRtpRange() });
    phone = await lab.addPhone('1002', { toneHz: PHONE_HZ });
    ({ browser, server, client } = await registeredBrowser(lab, BROWSER_HZ, PASSWORD));
  });
  after(async () => {
    await client?.stop().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await lab?.close();
  });

  // A test that failed mid-call leaves the call up: end it so the next test starts idle.
  afterEach(async () => {
    const { call } = await client.state();
    if (call !== 'ended' && call !== 'failed' && call !== 'idle') await client.hangup().catch(() => undefined);
    for (let i = 0; i < 50 && (await lab.liveCalls()).length > 0; i++) await pause(100);
  });

  /** Ends the call from the browser and waits until both ends and callbin are done with it. */
  async function hangUpFromBrowser(): Promise<void> {
    await client.hangup();
    await client.waitFor((s) => s.call === 'ended' || s.call === 'failed', 'the call ends in the browser');
    await phone.nextEvent('CALL_CLOSED');
    for (let i = 0; i < 50 && (await lab.liveCalls()).length > 0; i++) await pause(100);
    assert.deepEqual(await lab.liveCalls(), [], 'no call is left');
  }

  it(`the browser calls extension 1002 (baresip): ${BROWSER_HZ} Hz reaches the phone and ${PHONE_HZ} Hz the browser`, async () => {
    await client.call('1002');
    await explained(
      browser,
      client.waitFor((s) => s.call === 'established', 'the phone answers', 20_000),
    );
    await phone.nextEvent('CALL_ESTABLISHED');
    await pause(1000);
    await assertTwoWayAudio(client, phone, 'browser → phone');
    await hangUpFromBrowser();
  });

  it('the phone calls the browser extension alice, the browser answers: audio both ways', async () => {
    const before = (await client.state()).incoming;
    await phone.dial('alice');
    const ringing = await explained(
      browser,
      client.waitFor((s) => s.incoming > before && s.call === 'incoming', 'the browser rings'),
    );
    assert.match(ringing.caller, /1002/, 'the caller is the phone extension');
    await client.answer();
    await explained(
      browser,
      client.waitFor((s) => s.call === 'established', 'the call is answered'),
    );
    await phone.nextEvent('CALL_ESTABLISHED');
    await pause(1000);
    await assertTwoWayAudio(client, phone, 'phone → browser');
    await hangUpFromBrowser();
  });

  it('a flow connects a call to the browser extension: the browser answers and audio flows both ways', async () => {
    const before = (await client.state()).incoming;
    // The API calls the phone; once it answers, the flow's connect rings the browser and bridges the two.
    const created = await lab.api('POST', '/v1.0/calls', {
      source: { type: 'tel', target: '+15550001000' },
      destinations: [{ type: 'extension', target: '1002' }],
      actions: [
        {
          type: 'connect',
          option: {
            source: { type: 'tel', target: '+15550001000' },
            destinations: [{ type: 'extension', target: 'alice' }],
          },
        },
      ],
    });
    const masterId = created.calls[0].id as string;
    await phone.nextEvent('CALL_ESTABLISHED');
    await explained(
      browser,
      client.waitFor((s) => s.incoming > before && s.call === 'incoming', 'connect rings the browser', 20_000),
    );
    await client.answer();
    await explained(
      browser,
      client.waitFor((s) => s.call === 'established', 'the browser answers'),
    );
    const live = await lab.liveCalls();
    const chained = live.find((c) => c.master_call_id === masterId);
    assert.ok(chained, `a call chained to ${masterId}: ${JSON.stringify(live.map((c) => [c.id, c.master_call_id]))}`);
    assert.equal(chained.destination.type, 'extension');
    assert.equal(chained.destination.target, 'alice');
    await pause(1000);
    await assertTwoWayAudio(client, phone, 'connect → browser');
    await hangUpFromBrowser();
  });

  it('a PSTN caller dials a number whose flow connects to the browser: the browser answers, audio both ways', async () => {
    const pstnHz = 700;
    await createPstnProvider(lab);
    const flow = await lab.api('POST', '/v1.0/flows', {
      name: 'to the browser',
      actions: [{ type: 'connect', option: { destinations: [{ type: 'extension', target: 'alice' }] } }],
    });
    await lab.api('POST', '/v1.0/numbers', { number: '+15550003000', call_flow_id: flow.id });
    const pstn = await ToneRtpPeer.open(pstnHz);
    const before = (await client.state()).incoming;
    const sipp = await startSippCaller({ sipPort: lab.sipPort }, 'calls-uac-incoming.xml', '+15550003000', {
      ip: PROVIDER_IP,
      keys: { rtp_port: String(pstn.port) },
    });
    try {
      const ringing = await explained(
        browser,
        client.waitFor((s) => s.incoming > before && s.call === 'incoming', 'connect rings the browser', 20_000),
      );
      assert.match(ringing.caller, /\+15550001111/, 'the browser sees the PSTN caller');
      await client.answer();
      await explained(
        browser,
        client.waitFor((s) => s.call === 'established', 'the browser answers'),
      );
      await pause(1000);
      await untilHeard(
        async () => {
          const mark = pstn.mark();
          const tones = await heardTones(client.page, [BROWSER_HZ, pstnHz], 1500);
          return { tones, pstnHeard: pstn.heardSince(mark) };
        },
        ({ tones, pstnHeard }) => {
          const atPstn = {
            [BROWSER_HZ]: toneAmplitude(pstnHeard, BROWSER_HZ),
            [pstnHz]: toneAmplitude(pstnHeard, pstnHz),
          };
          const detail = `at the PSTN caller ${JSON.stringify(atPstn)} (${pstnHeard.length} samples), in the browser ${JSON.stringify(tones)}`;
          const checks: [boolean, string][] = [
            [pstnHeard.length >= 4000, 'the PSTN caller got at least half a second'],
            [atPstn[BROWSER_HZ] > PHONE_HEARD, `the PSTN caller hears the browser's ${BROWSER_HZ} Hz`],
            [atPstn[pstnHz] < PHONE_ABSENT, `the PSTN caller does not hear its own ${pstnHz} Hz`],
            [(tones[pstnHz] ?? 0) > BROWSER_HEARD, `the browser hears the PSTN caller's ${pstnHz} Hz`],
            [(tones[BROWSER_HZ] ?? 1) < BROWSER_ABSENT, `the browser does not hear its own ${BROWSER_HZ} Hz`],
          ];
          return checks.filter(([ok]) => !ok).map(([, text]) => `PSTN → browser: ${text}; ${detail}`);
        },
      );
      await client.hangup();
      // The callee's BYE ends the bridge; the flow has nothing left and hangs up the caller.
      const done = await sipp.exited;
      assert.equal(done.code, 0, `sipp got callbin's BYE: ${done.stderr}`);
    } finally {
      await sipp.stop();
      await pstn.close();
    }
  });
});
