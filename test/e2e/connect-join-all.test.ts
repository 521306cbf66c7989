import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createNumberWithFlow,
  createProvider,
  expectStatus,
  startSippCaller,
  startSippProvider,
  startTestCallbin,
  waitForCall,
  waitForListedCall,
} from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { SippTwin, TonePartyRtp } from '../support/connect-peers.ts';

/** Each party's voice: the master caller and the two callees. */
const MASTER_HZ = 400;
const B_HZ = 700;
const C_HZ = 1100;
const TONES = [MASTER_HZ, B_HZ, C_HZ];
/** Packets of a tone a party must hear to count as hearing it. */
const ENOUGH = 25;

/** Resolves once `done()` holds; rejects after `timeoutMs` (a bound on a hang, not a measurement). */
async function until(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('connect join_all: every party hears the others (docs/media.md "Join-all mixing")', () => {
  let cb: TestCallbin;
  let twin: SippTwin;
  let sipps: SippProcess[];
  let sockets: TonePartyRtp[];

  beforeEach(async () => {
    cb = await startTestCallbin();
    twin = await SippTwin.open();
    sipps = [];
    sockets = [];
  });

  afterEach(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(sockets.map((s) => s.close()));
    await twin.close();
    await cb.close();
  });

  /** A party's socket, listening for every tone (its own included, which it must never hear). */
  async function party(hz: number): Promise<TonePartyRtp> {
    const socket = await TonePartyRtp.open(hz, TONES);
    sockets.push(socket);
    return socket;
  }

  it('three parties each hear the other two, never themselves; when a callee hangs up the other two go on', async () => {
    const [master, b, c] = [await party(MASTER_HZ), await party(B_HZ), await party(C_HZ)];
    const callees: { socket: TonePartyRtp; sipp: SippProcess; target: string }[] = [];
    for (const socket of [b, c]) {
      const p = await startSippProvider('connect-uas-answer-twin-bye.xml', [
        '-key',
        'rtp_port',
        String(socket.port),
        '-3pcc',
        twin.address,
      ]);
      sipps.push(p.sipp);
      callees.push({ socket, sipp: p.sipp, target: `sip:callee@127.0.0.1:${p.port}` });
      // A provider on 127.0.0.1 makes callbin take the caller's INVITE from there (docs/media.md "Security").
      if (callees.length === 1) await createProvider(cb, p.port);
    }
    await createNumberWithFlow(cb, '+15550006100', [
      {
        type: 'connect',
        option: { destinations: callees.map((x) => ({ type: 'sip', target: x.target })), ring_method: 'join_all' },
      },
      { type: 'hangup' },
    ]);
    const caller = await startSippCaller(cb, 'calls-uac-incoming.xml', '+15550006100', {
      keys: { rtp_port: String(master.port) },
    });
    sipps.push(caller);
    const up = await twin.all('callee-up', 2);
    const upOf = (socket: TonePartyRtp) => up.find((u) => u.headers.get('x-rtp-port') === String(socket.port));
    const masterCall = await waitForListedCall(cb, (x) => x.direction === 'incoming');

    const parties = [master, b, c];
    let mark = parties.map((p) => p.mark());
    const others = (p: TonePartyRtp) => TONES.filter((hz) => hz !== p.hz);
    await until(
      () => parties.every((p, i) => others(p).every((hz) => p.since(mark[i] as number, hz) >= ENOUGH)),
      'every party hearing the other two',
    );
    parties.forEach((p, i) => {
      const from = mark[i] as number;
      const counts = TONES.map((hz) => `${hz} Hz ${p.since(from, hz)}`).join(', ');
      console.log(`join_all, three parties: the ${p.hz} Hz party heard ${p.mark() - from} packets: ${counts}`);
      assert.equal(p.since(from, p.hz), 0, `the ${p.hz} Hz party never hears itself`);
    });

    // Callee B hangs up: the master and callee C go on hearing each other, and nobody hears B.
    upOf(b)?.reply();
    const bCall = await waitForListedCall(
      cb,
      (x) => x.direction === 'outgoing' && x.destination.target.includes(callees[0]?.target.split('@')[1] ?? '?'),
    );
    await waitForCall(cb, bCall.id, (x) => x.status === 'hangup');
    assert.equal((await callees[0]?.sipp.exited)?.code, 0, 'callee B sent its BYE and got 200');
    mark = parties.map((p) => p.mark());
    await until(
      () => master.since(mark[0] as number, C_HZ) >= ENOUGH && c.since(mark[2] as number, MASTER_HZ) >= ENOUGH,
      'the master and callee C after B left',
    );
    assert.equal(master.since(mark[0] as number, B_HZ), 0);
    assert.equal(master.since(mark[0] as number, MASTER_HZ), 0);
    assert.equal(c.since(mark[2] as number, C_HZ), 0);
    expectStatus(await cb.api('GET', `/v1.0/calls/${masterCall.id}`), 200);

    // Callee C hangs up too: the master is left alone, its flow goes on (hangup) and the caller gets BYE.
    upOf(c)?.reply();
    const masterEnd = await waitForCall(cb, masterCall.id, (x) => x.status === 'hangup');
    assert.equal(masterEnd.hangup_by, 'local', "the master's flow hung up after connect");
    assert.equal((await caller.exited).code, 0, 'the caller got our BYE');
    assert.equal((await callees[1]?.sipp.exited)?.code, 0, 'callee C sent its BYE and got 200');
  });
});
