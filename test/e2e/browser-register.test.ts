import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { launchBrowser } from '../support/browser.ts';
import type { TestBrowser } from '../support/browser.ts';
import { openClient, startClientServer } from '../support/browser-clients.ts';
import type { BrowserClient, ClientKind, ClientServer } from '../support/browser-clients.ts';
import { expectStatus, startTestCallbin } from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const PASSWORD = 'Alice-pass-2024';

interface Registered {
  tm_expire: string;
  contact: string;
  transport: string;
  source: string;
  user_agent: string;
}

describe('browsers register over SIP over WebSocket (RFC 7118): JsSIP and SIP.js in Chromium', {
  timeout: 180_000,
}, () => {
  let cb: TestCallbin;
  let browser: TestBrowser;
  let server: ClientServer;
  let wsUrl = '';
  let alice: { id: string; domain_name: string };
  const clients: BrowserClient[] = [];

  const stats = (): Record<string, number> => cb.handle.sip.stats();
  const waitUntil = async (check: () => boolean, what: string): Promise<void> => {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(check(), what);
  };
  /** A plain WebSocket with the `sip` subprotocol; `outcome()` waits for the first answer or the close. */
  const probe = async () => {
    const ws = new WebSocket(wsUrl, 'sip');
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const messages: string[] = [];
    let closed = false;
    const done = new Promise<void>((resolve) => {
      ws.on('message', (d) => (messages.push(d.toString()), resolve()));
      ws.on('close', () => ((closed = true), resolve()));
      ws.on('error', () => undefined);
    });
    const outcome = async () => {
      await Promise.race([done, new Promise((r) => setTimeout(r, 5_000))]);
      return { closed, messages };
    };
    return { ws, outcome };
  };
  const registered = async (): Promise<Registered[]> =>
    expectStatus(await cb.api('GET', `/v1.0/extensions/${alice.id}`), 200).registered;
  const open = async (kind: ClientKind): Promise<BrowserClient> => {
    const c = await openClient(browser, server, kind);
    clients.push(c);
    return c;
  };
  const aliceAt = (password: string) => ({
    uri: `sip:alice@${alice.domain_name}`,
    wsUrl,
    username: 'alice',
    password,
    expires: 300,
    trace: process.env.CALLBIN_TEST_SIP_TRACE === '1',
  });

  before(async () => {
    cb = await startTestCallbin({ sipWsPort: 0 });
    assert.ok(cb.handle.sip.wsPort, 'the SIP WebSocket listener is bound');
    wsUrl = `ws://127.0.0.1:${cb.handle.sip.wsPort}/`;
    alice = expectStatus(await cb.api('POST', '/v1.0/extensions', { extension: 'alice', password: PASSWORD }), 200);
    browser = await launchBrowser();
    server = await startClientServer();
  });
  after(async () => {
    for (const c of clients) await c.page.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await cb?.close();
  });

  const kinds = (process.env.CALLBIN_TEST_BROWSER_CLIENTS?.split(',') ?? ['jssip', 'sipjs']) as ClientKind[];
  for (const kind of kinds) {
    it(`${kind} registers as alice with digest auth, re-registers, unregisters; the API follows`, async () => {
      const client = await open(kind);
      await client.register(aliceAt(PASSWORD));
      const s = await client.waitFor((st) => st.registration !== 'registering', 'a registration outcome');
      assert.equal(s.registration, 'registered', `${kind}: ${JSON.stringify(s)}`);
      const [binding, ...others] = await registered();
      assert.deepEqual(others, []);
      assert.ok(binding);
      assert.equal(binding.transport, 'WS');
      assert.match(binding.contact, /^sip:[^@]+@[a-z0-9]+\.invalid(;|$)/, 'the browser contact has a .invalid host');
      assert.match(binding.contact, /;transport=ws/);
      assert.match(binding.source, /^ws:127\.0\.0\.1:\d+$/);
      assert.match(binding.user_agent, kind === 'jssip' ? /^JsSIP 3\./ : /^SIP\.js\/0\.21/);

      const okBefore = stats().register_ok ?? 0;
      await client.refresh();
      await waitUntil(() => (stats().register_ok ?? 0) > okBefore, 'the refreshing REGISTER answered 200');
      assert.equal((await client.state()).registration, 'registered');
      const [again, ...more] = await registered();
      assert.deepEqual(more, [], 're-registering refreshes the one binding');
      assert.equal(again?.contact, binding.contact);
      assert.ok(Date.parse(again?.tm_expire ?? '') >= Date.parse(binding.tm_expire));

      await client.unregister();
      await client.waitFor((st) => st.registration === 'unregistered', 'unregistered');
      assert.deepEqual(await registered(), [], 'unregister (Expires 0) removes the binding');
      await client.stop();
    });

    it(`${kind} with a wrong password sees the registration refused (403); nothing is bound`, async () => {
      const client = await open(kind);
      const forbidden = stats().register_forbidden ?? 0;
      await client.register(aliceAt('Wrong-pass-2024'));
      const s = await client.waitFor((st) => st.registration === 'failed', 'a registration failure');
      assert.equal(s.registrationStatus, 403, `${kind}: ${JSON.stringify(s)}`);
      assert.ok((stats().register_forbidden ?? 0) > forbidden);
      assert.deepEqual(await registered(), []);
      await client.stop();
    });
  }

  it('garbage closes the SIP WebSocket, half a message gets 400, a 1 MB frame closes it; callbin still answers', async () => {
    const garbage = await probe();
    garbage.ws.send('\x00\x01 this is not SIP \xff');
    assert.ok((await garbage.outcome()).closed, 'a frame that is not SIP closes the socket');

    const half = await probe();
    half.ws.send('REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bKhalf\r\nCSeq: 1 REG');
    const halfOutcome = await half.outcome();
    assert.match(halfOutcome.messages[0] ?? '', /^SIP\/2\.0 400 /, 'half a message (a Via to answer by) gets 400');
    half.ws.terminate();

    const big = await probe();
    big.ws.send(
      `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS h.invalid;branch=z9hG4bKbig\r\nX: ${'a'.repeat(1 << 20)}\r\n\r\n`,
    );
    const bigOutcome = await big.outcome();
    assert.ok(bigOutcome.closed, `a 1 MB frame closes the socket: ${JSON.stringify(bigOutcome.messages)}`);
    big.ws.terminate();

    const valid = await probe();
    valid.ws.send(
      [
        `REGISTER sip:${alice.domain_name} SIP/2.0`,
        'Via: SIP/2.0/WS v.invalid;branch=z9hG4bKvalid',
        'Max-Forwards: 70',
        `To: <sip:alice@${alice.domain_name}>`,
        `From: <sip:alice@${alice.domain_name}>;tag=1`,
        'Call-ID: valid-after-garbage',
        'CSeq: 1 REGISTER',
        'Contact: <sip:x@v.invalid;transport=ws>',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const answer = await valid.outcome();
    assert.match(answer.messages[0] ?? '', /^SIP\/2\.0 401 /, 'the following valid REGISTER is challenged');
    valid.ws.terminate();
  });
});
