import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listen, pause, rms, startPhoneLab, toneAmplitude, type Phone, type PhoneLab } from '../support/phones.ts';

const HEARD = 2000;

function assertHears(heard: Int16Array, phone: Phone, what: string): void {
  assert.ok(heard.length >= 4000, `${what}: at least half a second was recorded (${heard.length} samples)`);
  const amp = toneAmplitude(heard, phone.toneHz);
  assert.ok(
    amp > HEARD,
    `${what}: ${phone.toneHz} Hz heard (amplitude ${amp.toFixed(0)}, rms ${rms(heard).toFixed(0)})`,
  );
}

describe('transfer between phones (baresip as 1001 caller, 1002 agent, 1003 transferee)', { timeout: 300_000 }, () => {
  let lab: PhoneLab;
  let caller: Phone;
  let agent: Phone;
  let transferee: Phone;

  before(async () => {
    lab = await startPhoneLab();
    caller = await lab.addPhone('1001', { toneHz: 500 });
    agent = await lab.addPhone('1002', { toneHz: 900 });
    transferee = await lab.addPhone('1003', { toneHz: 1400 });
    await lab.addPhone('1004', { toneHz: 700, register: false });
  });
  after(() => lab?.close());

  /** 1001 calls 1002; resolves with the agent's call (chained to the caller's) once both talk. */
  async function callAgent(): Promise<string> {
    await caller.dial('1002');
    await Promise.all([caller.nextEvent('CALL_ESTABLISHED'), agent.nextEvent('CALL_ESTABLISHED')]);
    const agentCall = (await lab.liveCalls()).find(
      (c) => c.direction === 'outgoing' && c.destination.target === '1002',
    );
    assert.ok(agentCall, "the agent's call is live");
    await pause(500);
    return agentCall.id as string;
  }

  async function waitForStatus(transferId: string, status: string): Promise<any> {
    for (let i = 0; i < 100; i++) {
      const t = await lab.api('GET', `/v1.0/transfers/${transferId}`);
      if (t.status === status) return t;
      await pause(100);
    }
    assert.fail(
      `transfer ${transferId} never reached ${status}: ${JSON.stringify(await lab.api('GET', `/v1.0/transfers/${transferId}`))}`,
    );
  }

  async function hangUpAll(phone: Phone): Promise<void> {
    await phone.command('hangup');
    for (let i = 0; i < 100 && (await lab.liveCalls()).length > 0; i++) await pause(100);
    assert.deepEqual(
      (await lab.liveCalls()).map((c) => c.id),
      [],
      'no call is left live',
    );
  }

  it("blind through the API: the caller ends up talking to 1003 and the agent's call is hung up", async () => {
    const agentCallId = await callAgent();
    const created = await lab.api('POST', '/v1.0/transfers', {
      type: 'blind',
      transferer_call_id: agentCallId,
      transferee: { type: 'extension', target: '1003' },
    });
    assert.equal(created.status, 'initiated');
    await Promise.all([transferee.nextEvent('CALL_ESTABLISHED'), agent.nextEvent('CALL_CLOSED')]);
    await waitForStatus(created.id, 'completed');
    assert.equal((await lab.api('GET', `/v1.0/calls/${agentCallId}`)).status, 'hangup');
    await pause(500);
    const [callerHeard, transfereeHeard] = await listen([caller, transferee]);
    assertHears(callerHeard!, transferee, '1001 after the transfer');
    assertHears(transfereeHeard!, caller, '1003 after the transfer');
    await hangUpAll(caller);
    await transferee.nextEvent('CALL_CLOSED');
  });

  it('attended: the agent talks to 1003 first, then complete joins the caller and 1003', async () => {
    const agentCallId = await callAgent();
    const created = await lab.api('POST', '/v1.0/transfers', {
      type: 'attended',
      transferer_call_id: agentCallId,
      transferee: { type: 'extension', target: '1003' },
    });
    await transferee.nextEvent('CALL_ESTABLISHED');
    await waitForStatus(created.id, 'answered');
    await pause(500);
    const [agentHeard, transfereeHeard] = await listen([agent, transferee]);
    assertHears(agentHeard!, transferee, '1002 consulting 1003');
    assertHears(transfereeHeard!, agent, '1003 consulted by 1002');
    const done = await lab.api('POST', `/v1.0/transfers/${created.id}/complete`);
    assert.equal(done.status, 'completed');
    await agent.nextEvent('CALL_CLOSED');
    await pause(500);
    const [callerHeard, transfereeNow] = await listen([caller, transferee]);
    assertHears(callerHeard!, transferee, '1001 after complete');
    assertHears(transfereeNow!, caller, '1003 after complete');
    await hangUpAll(transferee);
    await caller.nextEvent('CALL_CLOSED');
  });

  it('a transferee that cannot answer (1004, not registered): the transfer fails and the caller hears the agent again', async () => {
    const agentCallId = await callAgent();
    const created = await lab.api('POST', '/v1.0/transfers', {
      type: 'blind',
      transferer_call_id: agentCallId,
      transferee: { type: 'extension', target: '1004' },
    });
    await waitForStatus(created.id, 'failed');
    assert.equal((await lab.api('GET', `/v1.0/calls/${agentCallId}`)).status, 'progressing');
    await pause(700);
    const [callerHeard] = await listen([caller, agent]);
    assertHears(callerHeard!, agent, '1001 reconnected to 1002');
    await hangUpAll(caller);
    await agent.nextEvent('CALL_CLOSED');
  });

  it("blind by SIP REFER from the agent's phone: the caller ends up talking to 1003", async () => {
    await callAgent();
    await agent.command('transfer', `sip:1003@127.0.0.1:${lab.sipPort}`);
    await Promise.all([transferee.nextEvent('CALL_ESTABLISHED'), agent.nextEvent('CALL_CLOSED')]);
    await pause(700);
    const [callerHeard, transfereeHeard] = await listen([caller, transferee]);
    assertHears(callerHeard!, transferee, '1001 after the REFER');
    assertHears(transfereeHeard!, caller, '1003 after the REFER');
    await hangUpAll(caller);
    await transferee.nextEvent('CALL_CLOSED');
  });
});
