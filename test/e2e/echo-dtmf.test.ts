import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startTestCallbin,
  waitForListedCall,
  type TestCallbin,
} from '../support/callbin.ts';
import { DtmfRtpCaller } from '../support/dtmf-rtp-caller.ts';

const NUMBER = '+15550007100';
/** Not callbin's own default (101): the echo must use the payload type the caller offered. */
const EVENT_PT = 96;

async function until(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('echo sends the caller its digits back as RFC 4733 events', () => {
  let cb: TestCallbin;
  let caller: DtmfRtpCaller;
  let sipp: SippProcess | undefined;
  before(async () => {
    cb = await startTestCallbin();
    caller = await DtmfRtpCaller.open(EVENT_PT);
  });
  after(async () => {
    await sipp?.stop();
    await caller.close();
    await cb.close();
  });

  it('5 by SIP INFO, then 1 and # by RFC 4733 come back as events on the negotiated payload type, each with its end', async (t) => {
    // An INVITE from 127.0.0.1 is a provider's once a provider has that address.
    await createProvider(cb, 5999);
    await createNumberWithFlow(cb, NUMBER, [{ type: 'answer' }, { type: 'echo', option: { duration: 60_000 } }]);
    sipp = await startSippCaller(cb, 'dtmf-caller-info-wait-bye.xml', NUMBER, {
      keys: { rtp_port: String(caller.port), te_pt: String(EVENT_PT) },
    });
    const call = await waitForListedCall(cb, (c) => c.direction === 'incoming' && c.status === 'progressing');
    await until("callbin's RTP", () => caller.connected);
    // sipp sends its INFO 2.5 s after the ACK; the keys are pressed only once its echo is back, so the order is known.
    const ended = (digit: string) =>
      caller.heardDigits().some((d) => d.digit === digit && d.packets.some((p) => p.end));
    await until('the echo of the INFO digit', () => ended('5'));
    await caller.press('1');
    await caller.press('#');
    const complete = () => caller.heardDigits().filter((d) => d.packets.filter((p) => p.end).length === 3);
    await until('the echo of 1 and #', () => complete().length === 3);

    const heard = caller.heardDigits();
    t.diagnostic(
      `echoed: ${heard.map((d) => `${d.digit} (${d.packets.length} packets, end duration ${d.packets.at(-1)?.duration})`).join(', ')}`,
    );
    assert.deepEqual(
      heard.map((d) => d.digit),
      ['5', '1', '#'],
    );
    for (const { digit, packets } of heard) {
      assert.ok(
        packets.every((p) => p.payloadType === EVENT_PT && p.volume === 10),
        `${digit}: PT ${EVENT_PT}, volume 10`,
      );
      assert.equal(packets[0]?.marker, true, `${digit}: the first packet has the marker bit`);
      assert.ok(
        packets.slice(1).every((p) => !p.marker),
        `${digit}: only the first packet has the marker bit`,
      );
      const ends = packets.filter((p) => p.end);
      assert.equal(ends.length, 3, `${digit}: the end packet is sent three times`);
      assert.ok(
        packets.slice(-3).every((p) => p.end),
        `${digit}: the end packets come last`,
      );
      const durations = packets.map((p) => p.duration);
      assert.deepEqual(
        durations,
        [...durations].sort((a, b) => a - b),
        `${digit}: durations grow`,
      );
    }
    // As long as pressed: 160 ms by INFO (Duration=160), 100 ms by RFC 4733 (800 ticks of 8 kHz).
    assert.deepEqual(
      heard.map((d) => d.packets.at(-1)?.duration),
      [1280, 800, 800],
    );
    assert.ok(!caller.payloadTypes.has(101), 'no event went out on the default payload type');

    expectStatus(await cb.api('POST', `/v1.0/calls/${call.id}/hangup`), 200);
    assert.equal((await sipp.exited).code, 0, 'sipp got its INFO answered and our BYE');
  });
});
