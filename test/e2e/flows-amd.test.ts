import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  CallerMedia,
  CustomerServer,
  activeflowOf,
  eventually,
  incomingCallTo,
  numberWithFlow,
  speechMulaw,
  startCaller,
  startFlowsCallbin,
} from '../support/flows-peers.ts';
import type { FlowsCallbin } from '../support/flows-peers.ts';
import { freePort } from '../support/sipp.ts';

const GREETING =
  'Hello you have reached the voicemail of Alex Smith I cannot take your call right now please leave a message after the tone';

describe('flows e2e: answering-machine detection from what a sipp caller sends', { concurrency: true }, () => {
  let callbin: FlowsCallbin;
  let server: CustomerServer;
  const sipps: SippProcess[] = [];
  const medias: CallerMedia[] = [];

  before(async () => {
    callbin = await startFlowsCallbin();
    server = await CustomerServer.start();
    const provider = await callbin.api('POST', '/providers', {
      hostname: '127.0.0.1',
      port: await freePort('udp'),
      transport: 'udp',
    });
    assert.equal(provider.status, 200, JSON.stringify(provider.body));
  });

  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(medias.map((m) => m.close()));
    await server?.close();
    await callbin?.close();
  });

  /**
   * Calls `number` whose flow answers, tells the server it is about to listen (sync webhook), runs
   * `amd` and reports the result to the server; the caller speaks `speech` once the server heard.
   */
  async function detect(number: string, speech: Buffer): Promise<{ variable: string; reported: string }> {
    const tag = number.slice(-4);
    server.on(`/listening-${tag}`, {}).on(`/result-${tag}`, {});
    await numberWithFlow(callbin, number, [
      { type: 'answer' },
      { type: 'webhook_send', option: { uri: server.url(`/listening-${tag}`), sync: true } },
      { type: 'amd', option: { machine_handle: 'continue' } },
      {
        type: 'webhook_send',
        option: {
          uri: server.url(`/result-${tag}`),
          data_type: 'text/plain',
          data: '${voipbin.amd.result}',
          sync: true,
        },
      },
      { type: 'hangup' },
    ]);
    const media = await CallerMedia.open();
    medias.push(media);
    // Silence from the caller until the detector listens, then the speech (and silence after it).
    media.startSending();
    const sipp = await startCaller(callbin, 'flows-caller-wait-bye.xml', number, media);
    sipps.push(sipp);
    await eventually(
      async () => (server.requestsTo(`/listening-${tag}`).length > 0 ? true : undefined),
      10_000,
      'the flow to listen',
    );
    assert.ok(media.connected, 'callbin sent RTP to the caller, so the caller can answer to it');
    media.say(speech);
    const ended = await incomingCallTo(callbin, number, (c) => c.status === 'hangup', 20_000);
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    const activeflow = await activeflowOf(callbin, ended.activeflow_id);
    assert.deepEqual(
      activeflow.executed_actions.map((a: { type: string }) => a.type),
      ['answer', 'webhook_send', 'amd', 'webhook_send', 'hangup'],
    );
    const [result] = server.requestsTo(`/result-${tag}`);
    assert.ok(result, 'the result webhook arrived');
    return { variable: activeflow.variables['voipbin.amd.result'], reported: result.body };
  }

  it('a voicemail greeting (several seconds of continuous speech) is MACHINE', async () => {
    const { variable, reported } = await detect('+15550009101', await speechMulaw(GREETING));
    assert.equal(variable, 'MACHINE');
    assert.equal(reported, 'MACHINE');
  });

  it('a short "hello?" followed by silence is HUMAN', async () => {
    const { variable, reported } = await detect('+15550009102', await speechMulaw('Hello?', 3000));
    assert.equal(variable, 'HUMAN');
    assert.equal(reported, 'HUMAN');
  });
});
