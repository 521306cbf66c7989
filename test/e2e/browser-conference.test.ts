// Same room (docs/webrtc.md): a browser (JsSIP in Chromium), a SIP phone (baresip, an extension) and a
// PSTN caller (sipp through a provider, to a number whose flow joins the conference) in one
// conference. Each plays its own tone; each must hear the other two and not itself (the mixer sends
// every participant the mix of the others).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heardTones } from '../support/browser.ts';
import type { TestBrowser } from '../support/browser.ts';
import type { BrowserClient, ClientServer } from '../support/browser-clients.ts';
import type { SippProcess } from '../support/calls-harness.ts';
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
const ROOM_NUMBER = '+15550002000';
const BROWSER_HZ = 1000;
const PHONE_HZ = 440;
const PSTN_HZ = 700;
const ALL = [BROWSER_HZ, PHONE_HZ, PSTN_HZ];
/** 8 kHz PCM amplitudes at the phone and the PSTN caller (tones are sent at about 8000–9800). */
const PCM_HEARD = 1500;
const PCM_ABSENT = 400;
/** In the browser, 0–1 of full scale. */
const BROWSER_HEARD = 0.04;
const BROWSER_ABSENT = 0.012;

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

describe('a browser, a SIP phone and a PSTN caller in one conference', { timeout: 300_000 }, () => {
  let lab: PhoneLab;
  let browser: TestBrowser;
  let server: ClientServer;
  let client: BrowserClient;
  let phone: Phone;
  let pstn: ToneRtpPeer;
  let sipp: SippProcess | undefined;
  let conferenceId = '';
  /** The customer's SIP domain: the browser dials `sip:conference%3A<id>@<domain>`. */
  let domain = '';

  before(async () => {
    lab = await startPhoneLab({ sipWsPort: 0, ...randomRtpRange() });
    await createPstnProvider(lab);
    phone = await lab.addPhone('1002', { toneHz: PHONE_HZ });
    pstn = await ToneRtpPeer.open(PSTN_HZ);
    ({ browser, server, client, domain } = await registeredBrowser(lab, BROWSER_HZ, PASSWORD));
    conferenceId = (await lab.api('POST', '/v1.0/conferences', { type: 'conference', name: 'same room' })).id;
    const flow = await lab.api('POST', '/v1.0/flows', {
      name: 'into the room',
      actions: [{ type: 'conference_join', option: { conference_id: conferenceId } }],
    });
    await lab.api('POST', '/v1.0/numbers', { number: ROOM_NUMBER, call_flow_id: flow.id });
  });
  after(async () => {
    await sipp?.stop();
    await client?.stop().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await pstn?.close();
    await lab?.close();
  });

  it('each of the three hears the other two and not itself', async () => {
    await client.call(`sip:conference%3A${conferenceId}@${domain}`);
    await phone.dial(`conference%3A${conferenceId}`);
    sipp = await startSippCaller({ sipPort: lab.sipPort }, 'calls-uac-incoming.xml', ROOM_NUMBER, {
      ip: PROVIDER_IP,
      keys: { rtp_port: String(pstn.port) },
    });
    await explained(
      browser,
      client.waitFor((s) => s.call === 'established', 'the browser joins', 20_000),
    );
    await phone.nextEvent('CALL_ESTABLISHED');
    const joined = await eventually(async () => {
      const list = (await lab.api('GET', `/v1.0/conferencecalls?conference_id=${conferenceId}&status=joined`))
        .result as unknown[];
      return list.length === 3 ? list : undefined;
    }, 'three joined conferencecalls');
    assert.equal(joined.length, 3);
    const sources = (await lab.liveCalls()).map((c) => `${c.source.type}:${c.source.target}`).sort();
    assert.deepEqual(sources, ['extension:1002', 'extension:alice', 'tel:+15550001111']);
    await pause(1000);

    const pcmTones = (pcm: Int16Array): Record<number, number> =>
      Object.fromEntries(ALL.map((hz) => [hz, Math.round(toneAmplitude(pcm, hz))]));
    const own = { browser: BROWSER_HZ, phone: PHONE_HZ, pstn: PSTN_HZ };
    await untilHeard(
      async () => {
        const pstnMark = pstn.mark();
        const [[phoneHeard = new Int16Array(0)], browserTones] = await Promise.all([
          listen([phone], 1500),
          heardTones(client.page, ALL, 1500),
        ]);
        return { phoneHeard, pstnHeard: pstn.heardSince(pstnMark), browserTones };
      },
      ({ phoneHeard, pstnHeard, browserTones }) => {
        const heard = { browser: browserTones, phone: pcmTones(phoneHeard), pstn: pcmTones(pstnHeard) };
        const detail = `${JSON.stringify(heard)}; samples phone ${phoneHeard.length} (rms ${rms(phoneHeard).toFixed(0)}), pstn ${pstnHeard.length} (rms ${rms(pstnHeard).toFixed(0)})`;
        const problems: string[] = [];
        if (phoneHeard.length < 4000) problems.push(`the phone recorded under half a second: ${detail}`);
        if (pstnHeard.length < 4000) problems.push(`the PSTN caller got under half a second: ${detail}`);
        for (const who of ['browser', 'phone', 'pstn'] as const) {
          const [yes, no] = who === 'browser' ? [BROWSER_HEARD, BROWSER_ABSENT] : [PCM_HEARD, PCM_ABSENT];
          for (const hz of ALL) {
            const amp = heard[who][hz] ?? 0;
            if (hz === own[who] && amp >= no) problems.push(`${who} hears itself (${hz} Hz): ${detail}`);
            if (hz !== own[who] && amp <= yes) problems.push(`${who} does not hear ${hz} Hz: ${detail}`);
          }
        }
        return problems;
      },
    );
  });

  it('deleting the conference ends all three calls', async () => {
    await lab.api('DELETE', `/v1.0/conferences/${conferenceId}`);
    await Promise.all([
      explained(
        browser,
        client.waitFor((s) => s.call === 'ended', 'the browser call ends'),
      ),
      phone.nextEvent('CALL_CLOSED'),
    ]);
    const done = await sipp?.exited;
    assert.equal(done?.code, 0, `sipp got callbin's BYE: ${done?.stderr}`);
    await eventually(async () => ((await lab.liveCalls()).length === 0 ? true : undefined), 'no live call');
  });
});
