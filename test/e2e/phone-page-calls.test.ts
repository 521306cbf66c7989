import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { newId } from '../../src/shared/index.ts';
import { startBaresip, type Baresip } from '../support/baresip.ts';
import { heardTones, launchBrowser, writeToneWav, type TestBrowser } from '../support/browser.ts';
import {
  createNumberWithFlow,
  expectStatus,
  startTestCallbin,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { writeWav8k } from '../support/media-call.ts';
import {
  dialWithPad,
  heard as heardOn,
  listenToRemote,
  openPhonePage,
  packetsReceived,
  phoneEvents,
  pressKey,
  waitForMedia,
  waitForPhoneState as waitForState,
  waitForRemoteDirection,
} from '../support/phone-page.ts';
import { pause, tone, toneAmplitude } from '../support/phones.ts';

const PASSWORD = 'Page-calls-2024';
const TALK_NUMBER = '+15550002000';
const IVR_NUMBER = '+15550002001';
const TALK = {
  type: 'talk',
  option: {
    text: 'hello from callbin, you are hearing a flow on the softphone page, this sentence is long on purpose, thank you and goodbye',
    language: 'en-US',
  },
};

/** The PCM of baresip's recordings of what it heard (sndfile `*-dec.wav`, 8 kHz, sizes filled in only at close). */
async function recorded(dir: string): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for (const f of (await readdir(dir)).filter((name) => name.endsWith('-dec.wav')).sort()) {
    const bytes = await readFile(join(dir, f));
    const at = bytes.indexOf('data', 12, 'latin1');
    if (at < 0) continue;
    const pcm = new Int16Array(Math.floor((bytes.length - at - 8) / 2));
    for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(at + 8 + 2 * i);
    parts.push(pcm);
  }
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

describe('the softphone page makes and takes real calls (Chromium)', { timeout: 300_000 }, () => {
  let cb: TestCallbin;
  let browser: TestBrowser;
  let shots: string;
  const phones: { baresip: Baresip; dir: string }[] = [];

  before(async () => {
    cb = await startTestCallbin({ sipWsPort: 0 });
    // The page's microphone plays 1 kHz, so the far end can tell the page's audio from silence.
    browser = await launchBrowser({ microphoneWav: await writeToneWav(1000, 30) });
    shots = await mkdtemp(join(tmpdir(), 'callbin-phone-calls-'));
    console.log(`softphone screenshots: ${shots}`);
  });

  after(async () => {
    // What the pages printed (JsSIP's SIP trace with CALLBIN_TEST_SIP_TRACE=1), kept beside the screenshots.
    if (browser) await writeFile(join(shots, 'browser.log'), browser.log().join('\n'));
    await browser?.close();
    for (const p of phones) {
      await p.baresip.stop();
      await rm(p.dir, { recursive: true, force: true });
    }
    await cb?.close();
  });

  async function createExtension(extension: string): Promise<{ id: string; username: string }> {
    return expectStatus(await cb.api('POST', '/v1.0/extensions', { extension, password: PASSWORD }), 200);
  }

  const openPhone = (username: string): Promise<Page> => openPhonePage(browser, cb.handle.apiUrl, username, PASSWORD);

  async function shot(page: Page, name: string): Promise<void> {
    const path = join(shots, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  }

  /** A baresip registered as `username` (manual answer rings; auto answers), recording what it hears. */
  async function startPhone(username: string, answer: 'manual' | 'auto'): Promise<Baresip> {
    const dir = await mkdtemp(join(tmpdir(), 'callbin-page-phone-'));
    // A 440 Hz source long enough for any test (baresip ends a call when its aufile runs out).
    const wav = join(dir, 'tone.wav');
    await writeWav8k(wav, tone(440, 120));
    const baresip = await startBaresip({
      accounts: [
        `<sip:${username}@127.0.0.1:${cb.sipPort}>;auth_pass=${PASSWORD};regint=60;answermode=${answer};audio_source=aufile,${wav}`,
      ],
      modules: ['aufile.so', 'sndfile.so', 'menu.so'],
      extraConfig: [`snd_path ${dir}`],
    });
    phones.push({ baresip, dir });
    await baresip.waitForOutput(/200 OK \(\) \[\d+ bindings?\]/);
    return baresip;
  }

  it('dials a number with the dial pad, hears its talk with a running duration, and ends with the flow', async () => {
    await createNumberWithFlow(cb, TALK_NUMBER, [{ type: 'answer' }, TALK, { type: 'hangup' }]);
    const ext = await createExtension('page1');
    const page = await openPhone(ext.username);
    await dialWithPad(page, TALK_NUMBER);
    await listenToRemote(page);
    assert.equal(await waitForState(page, ['in-call', 'ended']), 'in-call');
    assert.equal(await page.getByRole('status').textContent(), 'In call');
    assert.match(String(await page.locator('#call-state').textContent()), /^with /);
    await pause(2200);
    const shown = String(await page.locator('#duration').textContent());
    assert.match(shown, /^0:0[2-9]$/, 'the duration runs');
    await shot(page, 'in-call-talk');
    assert.equal(await waitForState(page, ['ended'], 60_000), 'ended');
    assert.equal(await page.getByRole('status').textContent(), 'Call ended');
    const heard = await heardOn(page);
    assert.ok(heard.windows > 30, `the page listened through the talk: ${JSON.stringify(heard)}`);
    assert.ok(heard.loudShare > 0.3, `speech-like energy during the talk: ${JSON.stringify(heard)}`);
    assert.ok(heard.loudShare < 1, `speech has pauses, not a steady tone: ${JSON.stringify(heard)}`);
    assert.ok(heard.peakHz > 80 && heard.peakHz < 4000, `in the voice band: ${JSON.stringify(heard)}`);
    const call = await waitForListedCall(cb, (c) => c.destination?.target === TALK_NUMBER && c.status === 'hangup');
    assert.equal(call.direction, 'incoming');
    await page.close();
  });

  it('DTMF 2 on the dial pad during a call drives digits_receive + branch to the branch for 2', async () => {
    const ids = { one: newId(), two: newId(), other: newId(), bye: newId() };
    await createNumberWithFlow(cb, IVR_NUMBER, [
      { type: 'answer' },
      { type: 'digits_receive', option: { length: 1, duration: 20_000 } },
      {
        type: 'branch',
        option: {
          variable: 'voipbin.call.digits',
          target_ids: { '1': ids.one, '2': ids.two },
          default_target_id: ids.other,
        },
      },
      { id: ids.one, next_id: ids.bye, type: 'variable_set', option: { key: 'picked', value: 'one' } },
      { id: ids.two, next_id: ids.bye, type: 'variable_set', option: { key: 'picked', value: 'two' } },
      { id: ids.other, next_id: ids.bye, type: 'variable_set', option: { key: 'picked', value: 'none' } },
      { id: ids.bye, type: 'hangup' },
    ]);
    const ext = await createExtension('page2');
    const page = await openPhone(ext.username);
    await dialWithPad(page, IVR_NUMBER);
    assert.equal(await waitForState(page, ['in-call', 'ended']), 'in-call');
    await waitForMedia(page);
    await pressKey(page, '2');
    assert.equal(await waitForState(page, ['ended'], 30_000), 'ended');
    const call = await waitForListedCall(cb, (c) => c.destination?.target === IVR_NUMBER && c.status === 'hangup');
    const activeflow = expectStatus(await cb.api('GET', `/v1.0/activeflows/${call.activeflow_id}`), 200);
    const ran = (activeflow.executed_actions as { id: string }[]).map((a) => a.id);
    assert.ok(ran.includes(ids.two), `the branch for 2 ran: ${JSON.stringify(activeflow.executed_actions)}`);
    assert.ok(!ran.includes(ids.one) && !ran.includes(ids.other), 'no other branch ran');
    assert.equal(ran.at(-1), ids.bye);
    const sent = (await phoneEvents(page)).filter((e) => e.type === 'dtmf').map((e) => e.detail);
    assert.deepEqual(sent, ['2'], 'the page sent one RFC 4733 digit');
    await page.close();
  });

  it('an incoming call forked to the page and a ringing baresip: the page answers, hears it, baresip gets CANCEL', async () => {
    const ext = await createExtension('page3');
    const baresip = await startPhone(ext.username, 'manual');
    const page = await openPhone(ext.username);
    const registered = expectStatus(await cb.api('GET', `/v1.0/extensions/${ext.id}`), 200).registered as unknown[];
    assert.equal(registered.length, 2, `the page and baresip are registered: ${JSON.stringify(registered)}`);
    const [created] = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550002999' },
        destinations: [{ type: 'extension', target: 'page3' }],
        actions: [TALK, { type: 'hangup' }],
      }),
      200,
    ).calls;
    await baresip.waitForEvent((e) => e.type === 'CALL_INCOMING', 15_000);
    assert.equal(await waitForState(page, ['ringing']), 'ringing');
    const banner = page.getByRole('alertdialog');
    await banner.waitFor({ state: 'visible' });
    assert.match(String(await banner.textContent()), /Incoming call from/);
    await shot(page, 'incoming-call');
    await page.getByRole('button', { name: 'Answer' }).click();
    await listenToRemote(page);
    assert.equal(await waitForState(page, ['in-call', 'ended']), 'in-call');
    assert.ok(await banner.isHidden(), 'the banner goes once answered');
    await waitForCall(cb, created.id, (c) => c.status === 'progressing');
    await baresip.waitForEvent((e) => e.type === 'CALL_CLOSED', 15_000);
    // Closed without ever being answered: callbin CANCELled its INVITE once the page answered.
    assert.ok(!baresip.events.some((e) => e.type === 'CALL_ESTABLISHED'), 'baresip never answered');
    await shot(page, 'in-call-incoming');
    assert.equal(await waitForState(page, ['ended'], 60_000), 'ended');
    const heard = await heardOn(page);
    assert.ok(heard.loudShare > 0.3, `the page heard the talk: ${JSON.stringify(heard)}`);
    await page.close();
  });

  it('calls a baresip phone: Mute silences the page at the phone, Hold re-INVITEs sendonly and callbin stops sending', async () => {
    const phoneExt = await createExtension('desk4');
    const baresip = await startPhone(phoneExt.username, 'auto');
    const dir = phones.at(-1)?.dir as string;
    const ext = await createExtension('page4');
    const page = await openPhone(ext.username);
    await page.getByLabel('Number or extension').fill('desk4');
    await page.getByRole('button', { name: 'Call' }).click();
    await baresip.waitForEvent((e) => e.type === 'CALL_ESTABLISHED', 15_000);
    await listenToRemote(page);
    assert.equal(await waitForState(page, ['in-call', 'ended']), 'in-call');
    await waitForMedia(page);
    await pause(500);
    // baresip's source is a 440 Hz tone: the page hears that frequency, not just energy.
    const tones = await heardTones(page, [440, 1000]);
    assert.ok(tones[440]! > 0.02 && tones[440]! > 5 * tones[1000]!, `the page hears 440 Hz: ${JSON.stringify(tones)}`);
    const heardAtPhone = async (): Promise<number> => {
      const from = (await recorded(dir)).length;
      await pause(1500);
      return toneAmplitude((await recorded(dir)).subarray(from), 1000);
    };
    const heard = await heardAtPhone();
    assert.ok(heard > 500, `baresip hears the page microphone (1 kHz at ${heard.toFixed(0)})`);

    await page.getByRole('button', { name: 'Mute' }).click();
    assert.equal(await page.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed'), 'true');
    await pause(500);
    const muted = await heardAtPhone();
    assert.ok(muted < heard / 5, `muted: baresip hears no 1 kHz (${muted.toFixed(0)} against ${heard.toFixed(0)})`);
    await page.getByRole('button', { name: 'Unmute' }).click();
    await pause(500);
    const unmuted = await heardAtPhone();
    assert.ok(unmuted > 500, `unmuted: baresip hears the page again (${unmuted.toFixed(0)})`);

    await page.getByRole('button', { name: 'Hold' }).click();
    // callbin's answer to the hold re-INVITE (the page offered sendonly) is recvonly.
    await waitForRemoteDirection(page, 'recvonly');
    assert.equal(await page.getByRole('button', { name: 'Resume' }).getAttribute('aria-pressed'), 'true');
    await shot(page, 'on-hold');
    await pause(500);
    const heldFrom = await packetsReceived(page);
    await pause(1500);
    const duringHold = (await packetsReceived(page)) - heldFrom;
    assert.ok(duringHold < 5, `on hold callbin sends nothing to the page (${duringHold} packets)`);
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForRemoteDirection(page, 'sendrecv');
    await pause(500);
    const resumedFrom = await packetsReceived(page);
    await pause(1500);
    assert.ok((await packetsReceived(page)) - resumedFrom > 40, 'resumed: audio reaches the page again');

    await page.getByRole('button', { name: 'Hang up' }).click();
    await baresip.waitForEvent((e) => e.type === 'CALL_CLOSED', 15_000);
    assert.equal(await waitForState(page, ['ended']), 'ended');
    await page.close();
  });
});
