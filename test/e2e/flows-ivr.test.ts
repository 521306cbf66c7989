import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { newId } from '../../src/shared/index.ts';
import { startSipp, waitForUdpBound } from '../support/calls-harness.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  CallerMedia,
  CustomerServer,
  activeflowOf,
  bindNumber,
  incomingCallTo,
  startCaller,
  startFlowsCallbin,
  toneSamples,
  wavOf,
} from '../support/flows-peers.ts';
import type { FlowsCallbin } from '../support/flows-peers.ts';
import { freeMediaPort, freePort } from '../support/sipp.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));
const SUPPORT_WAV_MS = 2000;
const SALES = '+15550007001';

/** The IVR of the flow-engine issue; returns the flow's action ids by role. */
function ivrActions(supportWavUrl: string): {
  actions: unknown[];
  ids: Record<'menu' | 'sales' | 'support' | 'retry' | 'bye', string>;
} {
  const ids = { menu: newId(), sales: newId(), support: newId(), retry: newId(), bye: newId() };
  const actions = [
    { id: ids.menu, type: 'talk', option: { text: 'Press 1 for sales, 2 for support.', language: 'en-US' } },
    { type: 'digits_receive', option: { length: 1, duration: 5000 } },
    {
      type: 'branch',
      option: {
        variable: 'voipbin.call.digits',
        target_ids: { '1': ids.sales, '2': ids.support },
        default_target_id: ids.retry,
      },
    },
    {
      id: ids.sales,
      next_id: ids.bye,
      type: 'connect',
      option: { source: { type: 'tel', target: '+15550001111' }, destinations: [{ type: 'tel', target: SALES }] },
    },
    { id: ids.support, next_id: ids.bye, type: 'play', option: { stream_urls: [supportWavUrl] } },
    { id: ids.retry, type: 'talk', option: { text: 'Sorry.', language: 'en-US' } },
    { type: 'goto', option: { target_id: ids.menu, loop_count: 2 } },
    { id: ids.bye, type: 'hangup' },
  ];
  return { actions, ids };
}

describe('flows e2e: an IVR driven by sipp DTMF through the whole product', { concurrency: true }, () => {
  let callbin: FlowsCallbin;
  let server: CustomerServer;
  let salesSipp: SippProcess;
  let flowId: string;
  let ids: ReturnType<typeof ivrActions>['ids'];
  const sipps: SippProcess[] = [];
  const medias: CallerMedia[] = [];

  before(async () => {
    callbin = await startFlowsCallbin();
    server = await CustomerServer.start();
    server.on('/support.wav', { body: wavOf(toneSamples(SUPPORT_WAV_MS)), contentType: 'audio/wav' });
    const salesPort = await freePort('udp');
    salesSipp = await startSipp([
      '-sf',
      `${FIXTURES}flows-uas-answer-bye.xml`,
      '-i',
      '127.0.0.1',
      '-p',
      String(salesPort),
      '-mp',
      String(await freeMediaPort()),
      '-m',
      '1',
    ]);
    sipps.push(salesSipp);
    await waitForUdpBound(salesPort);
    // The sales provider on 127.0.0.1 also makes the sipp callers (same address) a trusted source.
    const provider = await callbin.api('POST', '/providers', {
      hostname: '127.0.0.1',
      port: salesPort,
      transport: 'udp',
      name: 'sales sipp',
    });
    assert.equal(provider.status, 200, JSON.stringify(provider.body));
    const route = await callbin.api('POST', '/routes', { provider_id: provider.body.id, priority: 1, target: 'all' });
    assert.equal(route.status, 200, JSON.stringify(route.body));
    const ivr = ivrActions(server.url('/support.wav'));
    ids = ivr.ids;
    const flow = await callbin.api('POST', '/flows', { name: 'ivr', actions: ivr.actions });
    assert.equal(flow.status, 200, JSON.stringify(flow.body));
    flowId = flow.body.id;
  });

  after(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(medias.map((m) => m.close()));
    await server?.close();
    await callbin?.close();
  });

  /** Binds `number` to the IVR, dials it with sipp `scenario`; resolves once the call hung up, with its activeflow. */
  async function callIvr(
    number: string,
    scenario: string,
  ): Promise<{ call: any; activeflow: any; media: CallerMedia; sipp: SippProcess }> {
    await bindNumber(callbin, number, flowId);
    const media = await CallerMedia.open();
    medias.push(media);
    media.startSending();
    const sipp = await startCaller(callbin, scenario, number, media);
    sipps.push(sipp);
    const call = await incomingCallTo(callbin, number, (c) => c.status === 'hangup', 40_000);
    return { call, activeflow: await activeflowOf(callbin, call.activeflow_id), media, sipp };
  }

  const executed = (activeflow: any): string[] => activeflow.executed_actions.map((a: { id: string }) => a.id);

  it('1 connects the caller to the sales provider: the provider got the INVITE and the calls are chained', async () => {
    const { call, activeflow, sipp } = await callIvr('+15550006001', 'flows-caller-dtmf-1.xml');
    assert.equal((await salesSipp.exited).code, 0, 'the sales sipp got an INVITE, answered and its BYE was answered');
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    assert.equal(call.chained_call_ids.length, 1, 'the sales call is chained to the caller');
    const sales = (await callbin.api('GET', `/calls/${call.chained_call_ids[0]}`)).body;
    assert.equal(sales.master_call_id, call.id);
    assert.equal(sales.destination.target, SALES);
    assert.equal(sales.direction, 'outgoing');
    const path = executed(activeflow);
    assert.ok(path.includes(ids.sales), 'the connect action ran');
    assert.ok(!path.includes(ids.support) && !path.includes(ids.retry), 'no other branch ran');
    assert.equal(path.at(-1), ids.bye);
  });

  it('2 plays the support WAV: the caller hears audio as long as the WAV', async () => {
    const { activeflow, media, sipp } = await callIvr('+15550006002', 'flows-caller-dtmf-2.xml');
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    const play = activeflow.executed_actions.find((a: { id: string }) => a.id === ids.support);
    assert.ok(play, 'the play action ran');
    assert.equal(play.error, undefined, JSON.stringify(play.error));
    assert.ok(
      !executed(activeflow).includes(ids.sales) && !executed(activeflow).includes(ids.retry),
      'no other branch ran',
    );
    const heardMs = media.audiblePacketsSince(Date.parse(play.tm_execute)) * 20;
    assert.ok(
      Math.abs(heardMs - SUPPORT_WAV_MS) <= 400,
      `heard ${heardMs} ms of audio after the play started, the WAV lasts ${SUPPORT_WAV_MS} ms`,
    );
    assert.equal(server.requestsTo('/support.wav').length >= 1, true);
  });

  it('no digit: the menu is played again twice, then callbin hangs up', async () => {
    const { call, activeflow, media, sipp } = await callIvr('+15550006003', 'flows-caller-wait-bye.xml');
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    assert.equal(call.hangup_by, 'local');
    const path = executed(activeflow);
    assert.equal(path.filter((id) => id === ids.menu).length, 3, 'the menu prompt ran three times');
    assert.equal(
      path.filter((id) => id === ids.retry).length,
      3,
      'the retry prompt ran after each of the three timeouts',
    );
    assert.ok(!path.includes(ids.sales) && !path.includes(ids.support));
    assert.equal(path.at(-1), ids.bye);
    assert.equal(activeflow.variables['voipbin.call.digits'], '');
    // menu | 5 s wait | retry+menu | 5 s wait | retry+menu | 5 s wait | retry: four bursts of speech.
    assert.equal(countBursts(media), 4, 'the caller heard the prompts between the three digit timeouts');
  });
});

/** Runs of audible packets separated by at least 2 s of inaudible or no audio. */
function countBursts(media: CallerMedia): number {
  let bursts = 0;
  let lastAudibleMs = -Infinity;
  for (const p of media.heard) {
    if (!p.audible) continue;
    if (p.atMs - lastAudibleMs >= 2000) bursts += 1;
    lastAudibleMs = p.atMs;
  }
  return bursts;
}
