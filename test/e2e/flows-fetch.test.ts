import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../../src/events/index.ts';
import { newId } from '../../src/shared/index.ts';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  CallerMedia,
  CustomerServer,
  activeflowOf,
  eventually,
  incomingCallTo,
  numberWithFlow,
  startCaller,
  startFlowsCallbin,
} from '../support/flows-peers.ts';
import type { FlowsCallbin } from '../support/flows-peers.ts';
import { freePort } from '../support/sipp.ts';

/** The flow engine's `fetch` timeout (ms), from the spec: a silent server is an action error after it. */
const FETCH_TIMEOUT_MS = 5000;

describe('flows e2e: fetch against the customer server on a call from sipp', { concurrency: true }, () => {
  let callbin: FlowsCallbin;
  let server: CustomerServer;
  const sipps: SippProcess[] = [];
  const medias: CallerMedia[] = [];

  before(async () => {
    callbin = await startFlowsCallbin();
    server = await CustomerServer.start();
    // A provider on 127.0.0.1 makes the sipp callers a trusted source.
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

  /** Runs `actions` on a call from sipp to `number`; returns the caller's media and sipp. */
  async function call(number: string, actions: unknown[]): Promise<{ media: CallerMedia; sipp: SippProcess }> {
    await numberWithFlow(callbin, number, actions);
    const media = await CallerMedia.open();
    medias.push(media);
    media.startSending();
    const sipp = await startCaller(callbin, 'flows-caller-wait-bye.xml', number, media);
    sipps.push(sipp);
    return { media, sipp };
  }

  it('the server answers [talk, hangup]: the caller hears the talk and callbin hangs up; the flow after fetch never runs', async () => {
    const fetched = { talk: newId(), hangup: newId() };
    server.on('/ok', {
      body: JSON.stringify([
        { id: fetched.talk, type: 'talk', option: { text: 'These words came from your server.', language: 'en-US' } },
        { id: fetched.hangup, type: 'hangup' },
      ]),
    });
    const afterFetch = newId();
    const { media, sipp } = await call('+15550008001', [
      { type: 'fetch', option: { event_url: server.url('/ok'), event_method: 'POST' } },
      { id: afterFetch, type: 'talk', option: { text: 'Not from the server.', language: 'en-US' } },
      { type: 'hangup' },
    ]);
    const ended = await incomingCallTo(callbin, '+15550008001', (c) => c.status === 'hangup', 20_000);
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    assert.equal(ended.hangup_by, 'local');
    const activeflow = await activeflowOf(callbin, ended.activeflow_id);
    assert.deepEqual(
      activeflow.executed_actions.map((a: { type: string; id: string }) => [
        a.type,
        a.id === fetched.talk || a.id === fetched.hangup,
      ]),
      [
        ['fetch', false],
        ['talk', true],
        ['hangup', true],
      ],
    );
    assert.ok(!activeflow.executed_actions.some((a: { id: string }) => a.id === afterFetch));
    assert.ok(
      media.audiblePacketsSince(0) > 25,
      `the caller heard the fetched talk (${media.audiblePacketsSince(0)} audible packets)`,
    );
    const [request] = server.requestsTo('/ok');
    assert.ok(request, 'the server got the fetch');
    assert.equal(request.method, 'POST');
    assert.equal(JSON.parse(request.body).id, ended.activeflow_id, 'the request carries the activeflow');
    const verified = verifyWebhook({
      secret: callbin.customer.webhook_secret,
      body: request.body,
      headers: request.headers,
    });
    assert.equal(verified.ok, true, JSON.stringify(verified));
  });

  it('the server answers invalid JSON: an action error, the flow moves on to the next talk and hangs up', async () => {
    server.on('/bad', { body: '[{"type": "talk", ' });
    const next = newId();
    const { media, sipp } = await call('+15550008002', [
      { type: 'fetch', option: { event_url: server.url('/bad') } },
      { id: next, type: 'talk', option: { text: 'Sorry, something went wrong.', language: 'en-US' } },
      { type: 'hangup' },
    ]);
    const ended = await incomingCallTo(callbin, '+15550008002', (c) => c.status === 'hangup', 20_000);
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    const activeflow = await activeflowOf(callbin, ended.activeflow_id);
    const [fetchRun, talkRun, hangupRun, ...rest] = activeflow.executed_actions;
    assert.equal(fetchRun.type, 'fetch');
    assert.equal(fetchRun.error?.code, 'FETCH_INVALID_JSON');
    assert.equal(talkRun.id, next);
    assert.equal(hangupRun.type, 'hangup');
    assert.deepEqual(rest, []);
    assert.equal(server.requestsTo('/bad').length, 1);
    assert.ok(media.audiblePacketsSince(0) > 25, 'the caller heard the fallback talk');
  });

  it('the server never answers: after the fetch timeout the flow moves on and the call ends, not stuck', async () => {
    server.on('/silent', { hang: true });
    const { sipp } = await call('+15550008003', [
      { type: 'answer' },
      { type: 'fetch', option: { event_url: server.url('/silent') } },
      { type: 'hangup' },
    ]);
    await eventually(
      async () => (server.requestsTo('/silent').length > 0 ? true : undefined),
      10_000,
      'the fetch request',
    );
    // The spec's bound: the fetch gives up after its timeout; one second more for the hangup to go out.
    const ended = await incomingCallTo(callbin, '+15550008003', (c) => c.status === 'hangup', FETCH_TIMEOUT_MS + 1000);
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');
    const activeflow = await activeflowOf(callbin, ended.activeflow_id);
    assert.deepEqual(
      activeflow.executed_actions.map((a: { type: string }) => a.type),
      ['answer', 'fetch', 'hangup'],
    );
    assert.equal(activeflow.executed_actions[1].error?.code, 'FETCH_TIMEOUT');
    assert.equal(activeflow.status, 'ended');
  });
});
