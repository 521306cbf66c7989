import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { parseMessage } from '../../src/sip/message/index.ts';
import type { SipResponse } from '../../src/sip/message/index.ts';
import { SilentPeer, createNumberWithFlow, createProvider, startTestCallbin } from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';

const NUMBER = '+15550007700';
/** A number no flow answers: an admitted INVITE for it gets 404, a refused one 503. */
const UNKNOWN = '+15550007799';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

/** One INVITE as sent: its raw text (to retransmit it byte for byte) and what a BYE needs. */
interface SentInvite {
  callId: string;
  text: string;
  from: string;
  number: string;
}

/** A UAC on a raw UDP socket: sends INVITEs with an SDP offer, records every response on the wire. */
class BurstCaller {
  readonly responses: SipResponse[] = [];
  readonly #socket: Socket;
  readonly #serverPort: number;

  private constructor(socket: Socket, serverPort: number) {
    this.#socket = socket;
    this.#serverPort = serverPort;
    socket.on('message', (data) => {
      try {
        const msg = parseMessage(data);
        if (msg.kind === 'response') this.responses.push(msg);
      } catch {
        // not SIP: ignored
      }
    });
  }

  static async open(serverPort: number): Promise<BurstCaller> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new BurstCaller(socket, serverPort);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  invite(number = NUMBER): SentInvite {
    const callId = randomBytes(8).toString('hex');
    const from = `<sip:+15550001111@127.0.0.1:${this.port}>;tag=${callId.slice(0, 8)}`;
    const sdp = [
      'v=0',
      `o=- 1 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      'm=audio 40000 RTP/AVP 0',
      'a=rtpmap:0 PCMU/8000',
      '',
    ].join('\r\n');
    const text = [
      `INVITE sip:${number}@127.0.0.1:${this.#serverPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-${callId};rport`,
      'Max-Forwards: 70',
      `From: ${from}`,
      `To: <sip:${number}@127.0.0.1>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:caller@127.0.0.1:${this.port}>`,
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(sdp)}`,
      '',
      sdp,
    ].join('\r\n');
    const sent = { callId, text, from, number };
    this.send(text);
    return sent;
  }

  send(text: string): void {
    this.#socket.send(text, this.#serverPort, '127.0.0.1');
  }

  /** The final responses to `callId`'s INVITE (a retransmitted one shows more than once). */
  finals(callId: string, method = 'INVITE'): SipResponse[] {
    return this.responses.filter(
      (r) => r.status >= 200 && r.headers.get('call-id') === callId && r.headers.get('cseq')?.endsWith(method),
    );
  }

  async waitFinal(callId: string, method = 'INVITE', timeoutMs = 10_000): Promise<SipResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.finals(callId, method)[0];
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no final response to ${method} ${callId}`);
      await sleep(20);
    }
  }

  /** ACK a final response (RFC 3261 §17.1.1.3 for non-2xx, §13.2.2.4 for 2xx); then BYE a 2xx. */
  async finish(invite: SentInvite, res: SipResponse): Promise<SipResponse | undefined> {
    const to = res.headers.get('to') ?? '';
    const common = (method: string, seq: number, branch: string): string =>
      [
        `${method} sip:${invite.number}@127.0.0.1:${this.#serverPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: ${invite.from}`,
        `To: ${to}`,
        `Call-ID: ${invite.callId}`,
        `CSeq: ${seq} ${method}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    const ok = res.status < 300;
    this.send(common('ACK', 1, ok ? `z9hG4bK-ack-${invite.callId}` : `z9hG4bK-${invite.callId}`));
    if (!ok) return undefined;
    this.send(common('BYE', 2, `z9hG4bK-bye-${invite.callId}`));
    return this.waitFinal(invite.callId, 'BYE');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }
}

describe('overload e2e: a burst against a small call set-up capacity (docs/security.md "Overload")', () => {
  let cb: TestCallbin;
  let peer: SilentPeer;
  let caller: BurstCaller;

  before(async () => {
    // Lag and utilisation are not checked here (0): a busy test machine must not change what is refused.
    cb = await startTestCallbin({ maxCallSetups: 3, overloadLagMs: 0, overloadUtilisation: 0 });
    peer = await SilentPeer.open();
    await createProvider(cb, peer.port);
    // The flow answers slowly, so the first set-ups are still in progress when the burst's rest arrives.
    await createNumberWithFlow(cb, NUMBER, [{ type: 'sleep', option: { duration: 1500 } }, { type: 'answer' }]);
    caller = await BurstCaller.open(cb.sipPort);
  });

  after(async () => {
    await caller.close();
    await peer.close();
    await cb.close();
  });

  it('refuses the excess 503 with Retry-After, keeps retransmissions, completes the accepted calls, then accepts again', async () => {
    const invites: SentInvite[] = [];
    for (let i = 0; i < 10; i++) {
      invites.push(caller.invite());
      // A retransmission of the first INVITE while it is being set up: absorbed, never refused.
      if (i === 1) caller.send(invites[0]!.text);
    }
    // The refusals come at once; the accepted calls are still in their flow's sleep.
    await Promise.all(invites.slice(3).map((inv) => caller.waitFinal(inv.callId)));
    // POST /calls meets the same capacity while the three set-ups are still in progress.
    const busy = await fetch(`${cb.handle.apiUrl}/v1.0/calls`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cb.handle.admin?.accessKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        source: { type: 'tel', target: '+15550001111' },
        destinations: [{ type: 'tel', target: '+15550002000' }],
        actions: [{ type: 'hangup' }],
      }),
    });
    const refusedBody = (await busy.json()) as { error: { reason: string } };
    assert.equal(busy.status, 503, JSON.stringify(refusedBody));
    assert.equal(refusedBody.error.reason, 'OVERLOADED');
    assert.ok(Number(busy.headers.get('retry-after')) >= 1);

    const finals = await Promise.all(invites.map((inv) => caller.waitFinal(inv.callId)));
    const refused = finals.filter((r) => r.status === 503);
    assert.equal(refused.length, 7, `statuses: ${finals.map((r) => r.status).join(',')}`);
    for (const r of refused) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
    assert.ok(
      caller.finals(invites[0]!.callId).every((r) => r.status === 200),
      'the retransmitted INVITE was not refused',
    );
    const accepted = invites.filter((_, i) => finals[i]!.status === 200);
    assert.equal(accepted.length, 3);
    assert.equal(accepted[0], invites[0]);

    // A refused INVITE retransmitted before its ACK gets the same 503 again from its server
    // transaction (RFC 3261 §17.2.1): not admitted again, not counted as a new refusal.
    const again = invites[finals.indexOf(refused[0]!)]!;
    caller.send(again.text);
    await waitUntil(() => caller.finals(again.callId).length >= 2);
    const [first, repeated] = caller.finals(again.callId);
    assert.equal(repeated!.status, 503);
    assert.equal(repeated!.headers.get('to'), first!.headers.get('to'), 'the same response, To tag included');
    assert.equal(repeated!.headers.get('retry-after'), first!.headers.get('retry-after'));

    // The accepted calls complete normally: ACK, BYE, 200.
    for (const [i, invite] of invites.entries()) {
      const bye = await caller.finish(invite, finals[i]!);
      if (bye) assert.equal(bye.status, 200);
    }

    const metrics = await (await fetch(`${cb.handle.apiUrl}/metrics`)).text();
    assert.match(metrics, /callbin_calls_refused_overload_total\{reason="setups"\} 8\b/);

    // Capacity is back: a new call is accepted.
    const next = caller.invite();
    const res = await caller.waitFinal(next.callId);
    assert.equal(res.status, 200);
    assert.equal((await caller.finish(next, res))?.status, 200);
  });
});

describe('overload e2e: a flood of INVITEs while the event loop is busy (docs/security.md "Overload")', () => {
  let cb: TestCallbin;
  let caller: BurstCaller;

  before(async () => {
    // A low utilisation bound and a set-up cap never reached: only the loop's business refuses here.
    cb = await startTestCallbin({ maxCallSetups: 100_000, overloadLagMs: 0, overloadUtilisation: 50 });
    const peer = await SilentPeer.open();
    await createProvider(cb, peer.port);
    await peer.close();
    caller = await BurstCaller.open(cb.sipPort);
  });

  after(async () => {
    await caller.close();
    await cb.close();
  });

  it('admits only a share of the new calls with 503 + Retry-After for the rest, and all of them once the loop is calm', async () => {
    // Callbin runs in this process: spinning ~90 ms of every ~100 keeps its loop busy while INVITEs
    // for a number nobody has arrive (an admitted one gets 404 from the number lookup).
    const invites: SentInvite[] = [];
    for (let round = 0; round < 40 && !invites.some((inv) => caller.finals(inv.callId)[0]?.status === 503); round++) {
      for (let i = 0; i < 15; i++) invites.push(caller.invite(UNKNOWN));
      const until = Date.now() + 90;
      while (Date.now() < until) {
        // busy
      }
      await sleep(10);
    }
    const finals = await Promise.all(invites.map((inv) => caller.waitFinal(inv.callId)));
    const refused = finals.filter((r) => r.status === 503);
    assert.ok(refused.length > 0, `${finals.length} INVITEs, none refused`);
    assert.ok(
      finals.some((r) => r.status === 404),
      'a share is still admitted',
    );
    for (const r of refused) assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
    const metrics = await (await fetch(`${cb.handle.apiUrl}/metrics`)).text();
    assert.match(metrics, new RegExp(`callbin_calls_refused_overload_total\\{reason="busy"\\} ${refused.length}\\b`));
    for (const [i, invite] of invites.entries()) await caller.finish(invite, finals[i]!);

    // Calm: the share grows back by a tenth per 100 ms window, so within about 2 s every call is admitted.
    await sleep(2_500);
    // Fewer than the 10 arrivals a window needs to count as a flood: nothing can cut the share now.
    const calm = [...Array(9)].map(() => caller.invite(UNKNOWN));
    const answers = await Promise.all(calm.map((inv) => caller.waitFinal(inv.callId)));
    assert.deepEqual(new Set(answers.map((r) => r.status)), new Set([404]));
  });
});
