// Two browsers call each other (docs/webrtc.md "Calls to a browser"): both legs speak Opus, so callbin
// joins them with the header-rewriting relay (docs/media.md "Bridging"), and each hears the other.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { heardTones, launchBrowser, writeToneWav } from '../support/browser.ts';
import type { TestBrowser } from '../support/browser.ts';
import { openClient, startClientServer } from '../support/browser-clients.ts';
import type { BrowserClient, ClientServer } from '../support/browser-clients.ts';
import { expectStatus, startTestCallbin } from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { untilHeard } from '../support/same-room.ts';

const PASSWORD = 'Browser-pass-2024';
const ALICE_HZ = 1000;
const BOB_HZ = 440;

describe('a browser calls another browser (Opus on both legs)', { timeout: 180_000 }, () => {
  let cb: TestCallbin;
  let server: ClientServer;
  const browsers: TestBrowser[] = [];
  const clients: Record<'alice' | 'bob', BrowserClient> = {} as never;

  before(async () => {
    cb = await startTestCallbin({ sipWsPort: 0 });
    server = await startClientServer();
    const wsUrl = `ws://127.0.0.1:${cb.handle.sip.wsPort}/`;
    for (const [name, hz] of [
      ['alice', ALICE_HZ],
      ['bob', BOB_HZ],
    ] as const) {
      const ext = expectStatus(await cb.api('POST', '/v1.0/extensions', { extension: name, password: PASSWORD }), 200);
      const browser = await launchBrowser({ microphoneWav: await writeToneWav(hz, 60) });
      browsers.push(browser);
      const client = await openClient(browser, server, 'jssip');
      await client.register({
        uri: `sip:${name}@${ext.domain_name}`,
        wsUrl,
        username: name,
        password: PASSWORD,
        rawAudio: true,
      });
      await client.waitFor((s) => s.registration === 'registered', `${name} registered`);
      clients[name] = client;
    }
  });
  after(async () => {
    for (const b of browsers) await b.close();
    await server?.close();
    await cb?.close();
  });

  it('alice dials bob, bob answers: each hears the other and not itself, both legs in Opus', async () => {
    const { alice, bob } = clients;
    await alice.call('bob');
    await bob.waitFor((s) => s.call === 'incoming', 'bob rings');
    await bob.answer();
    await alice.waitFor((s) => s.call === 'established', 'alice is connected');
    await untilHeard(
      async () => ({
        alice: await heardTones(alice.page, [ALICE_HZ, BOB_HZ]),
        bob: await heardTones(bob.page, [ALICE_HZ, BOB_HZ]),
      }),
      (h) => [
        ...((h.alice[BOB_HZ] ?? 0) > 0.02 ? [] : [`alice does not hear bob: ${JSON.stringify(h.alice)}`]),
        ...((h.alice[BOB_HZ] ?? 0) > 4 * (h.alice[ALICE_HZ] ?? 0)
          ? []
          : [`alice hears herself: ${JSON.stringify(h.alice)}`]),
        ...((h.bob[ALICE_HZ] ?? 0) > 0.02 ? [] : [`bob does not hear alice: ${JSON.stringify(h.bob)}`]),
        ...((h.bob[ALICE_HZ] ?? 0) > 4 * (h.bob[BOB_HZ] ?? 0) ? [] : [`bob hears himself: ${JSON.stringify(h.bob)}`]),
      ],
    );
    assert.equal(await alice.codec(), 'audio/opus');
    assert.equal(await bob.codec(), 'audio/opus');
    await alice.hangup();
    await bob.waitFor((s) => s.call === 'ended', 'bob sees the hang-up');
  });
});
