import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '../../src/events/index.ts';
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

describe('flows e2e: webhook_send on a call from sipp', () => {
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

  it('sync: the signed request is answered before the next action (a second webhook) runs', async () => {
    // A slow answer: without `sync` the second webhook would arrive while the first is still pending.
    server.on('/first', { sleepMs: 1000 }).on('/second', {});
    const number = '+15550009001';
    await numberWithFlow(callbin, number, [
      { type: 'answer' },
      {
        type: 'webhook_send',
        option: {
          uri: server.url('/first'),
          method: 'POST',
          data_type: 'application/json',
          data: '{"call":"${voipbin.call.id}"}',
          sync: true,
        },
      },
      {
        type: 'webhook_send',
        option: {
          uri: server.url('/second'),
          method: 'PUT',
          data_type: 'text/plain',
          data: 'after ${voipbin.call.destination.target}',
        },
      },
      { type: 'hangup' },
    ]);
    const media = await CallerMedia.open();
    medias.push(media);
    const sipp = await startCaller(callbin, 'flows-caller-wait-bye.xml', number, media);
    sipps.push(sipp);
    const ended = await incomingCallTo(callbin, number, (c) => c.status === 'hangup', 20_000);
    await eventually(
      async () => (server.requestsTo('/second').length > 0 ? true : undefined),
      10_000,
      'the second webhook',
    );
    assert.equal((await sipp.exited).code, 0, 'the caller got our BYE');

    assert.deepEqual(
      server.log.slice(0, 3),
      ['/first arrived', '/first answered', '/second arrived'],
      'the second webhook waited for the first answer',
    );
    const [first] = server.requestsTo('/first');
    const [second] = server.requestsTo('/second');
    assert.ok(first && second);
    assert.equal(first.method, 'POST');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(first.body), { call: ended.id }, 'variables are substituted in the data');
    assert.equal(second.method, 'PUT');
    assert.equal(second.body, `after ${number}`);
    for (const request of [first, second]) {
      const verified = verifyWebhook({
        secret: callbin.customer.webhook_secret,
        body: request.body,
        headers: request.headers,
      });
      assert.equal(verified.ok, true, `${request.path}: ${JSON.stringify(verified)}`);
      const forged = verifyWebhook({
        secret: callbin.customer.webhook_secret,
        body: `${request.body} `,
        headers: request.headers,
      });
      assert.equal(forged.ok, false, 'the signature covers the body');
    }
    const activeflow = await activeflowOf(callbin, ended.activeflow_id);
    assert.deepEqual(
      activeflow.executed_actions.map((a: { type: string }) => a.type),
      ['answer', 'webhook_send', 'webhook_send', 'hangup'],
    );
    assert.ok(
      activeflow.executed_actions.every((a: { error?: unknown }) => a.error === undefined),
      JSON.stringify(activeflow.executed_actions),
    );
  });
});
