import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SippProcess } from '../support/calls-harness.ts';
import {
  createProvider,
  createRoute,
  expectStatus,
  startSippProvider,
  startTestCallbin,
  waitForCall,
} from '../support/callbin.ts';
import type { ApiResponse, TestCallbin } from '../support/callbin.ts';
import { toneSamples, wavOf } from '../support/flows-peers.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** A real media server on `host`: `/tone.wav`, a redirect to `redirectTo`, 404 otherwise; records every path asked for. */
async function mediaServer(host: string, redirectTo = ''): Promise<{ server: Server; base: string; seen: string[] }> {
  const seen: string[] = [];
  const tone = wavOf(toneSamples(300));
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url === '/tone.wav') return void res.writeHead(200, { 'content-type': 'audio/wav' }).end(tone);
    if (req.url === '/moved.wav') return void res.writeHead(302, { location: redirectTo }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, base: `http://${host}:${(server.address() as AddressInfo).port}`, seen };
}

/** Asserts a 4xx answer with `reason` and a detail naming `field`. */
function expectRefused(res: ApiResponse, status: number, reason: string, field: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.error.reason, reason, JSON.stringify(res.body));
  assert.ok(
    res.body.error.details?.some((d: { field: string; reason: string }) => d.field === field && d.reason === reason),
    JSON.stringify(res.body),
  );
}

describe('security: media URLs are http(s) only, and every fetch for a customer goes through the SSRF guard (production mode)', () => {
  let cb: TestCallbin;
  let sipp: SippProcess;
  let media: Awaited<ReturnType<typeof mediaServer>>;
  let internal: Awaited<ReturnType<typeof mediaServer>>;
  let receiver: WebhookReceiver;
  let callId: string;
  const play = (mediaUrls: unknown[]) => cb.api('POST', `/v1.0/calls/${callId}/play`, { media_urls: mediaUrls });

  before(async () => {
    // 127.0.0.2 is loopback too, but only 127.0.0.1 is on the allow list.
    internal = await mediaServer('127.0.0.2');
    media = await mediaServer('127.0.0.1', `${internal.base}/tone.wav`);
    receiver = await WebhookReceiver.start();
    cb = await startTestCallbin({ mode: 'production', allowPrivateTargets: '127.0.0.1' });
    expectStatus(
      await cb.api('PUT', '/v1.0/customer', { webhook_uri: receiver.url('/hook'), webhook_method: 'POST' }),
      200,
    );
    const provider = await startSippProvider('uas');
    sipp = provider.sipp;
    await createRoute(cb, await createProvider(cb, provider.port), 1, '+1');
    const [call] = expectStatus(
      await cb.api('POST', '/v1.0/calls', {
        source: { type: 'tel', target: '+15550001000' },
        destinations: [{ type: 'tel', target: '+15550002100' }],
        actions: [{ type: 'sleep', option: { duration: 60_000 } }],
      }),
      200,
    ).calls;
    callId = call.id;
    await waitForCall(cb, callId, (c) => c.status === 'progressing');
  });

  after(async () => {
    if (callId) await cb.api('POST', `/v1.0/calls/${callId}/hangup`);
    await sipp?.stop();
    await cb?.close();
    await receiver?.close();
    for (const s of [media?.server, internal?.server]) {
      s?.closeAllConnections();
      await new Promise((resolve) => s?.close(resolve));
    }
  });

  it('POST /calls/{id}/play refuses a path, file:, data:, ftp: and malformed URLs with 400 INVALID_MEDIA_URL naming the field', async () => {
    const recording = join(cb.handle.config.dataDir, 'recordings', 'recording.wav');
    expectRefused(await play(['/etc/passwd']), 400, 'INVALID_MEDIA_URL', 'media_urls[0]');
    expectRefused(await play([`file://${recording}`]), 400, 'INVALID_MEDIA_URL', 'media_urls[0]');
    expectRefused(
      await play([`${media.base}/tone.wav`, `${media.base}/tone.wav`, `file://${recording}`]),
      400,
      'INVALID_MEDIA_URL',
      'media_urls[2]',
    );
    for (const url of ['data:audio/wav;base64,UklGRg==', `ftp://127.0.0.1/tone.wav`, 'http://a:b:c/x.wav', recording]) {
      expectRefused(await play([url]), 400, 'INVALID_MEDIA_URL', 'media_urls[0]');
    }
  });

  it('a 404 URL and a refused connection are a 400 with the reason and the field, never a 500', async () => {
    expectRefused(
      await play([`${media.base}/tone.wav`, `${media.base}/missing.wav`]),
      400,
      'MEDIA_FETCH_FAILED',
      'media_urls[1]',
    );
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expectRefused(await play([`http://127.0.0.1:${port}/x.wav`]), 400, 'MEDIA_FETCH_FAILED', 'media_urls[0]');
  });

  it('an allowed host plays; a URL on 127.0.0.2, directly or through a redirect of the allowed host, is 400 SSRF_BLOCKED and never fetched', async () => {
    expectStatus(await play([`${media.base}/tone.wav`]), 200);
    expectRefused(await play([`${internal.base}/tone.wav`]), 400, 'SSRF_BLOCKED', 'media_urls[0]');
    expectRefused(await play([`${media.base}/moved.wav`]), 400, 'SSRF_BLOCKED', 'media_urls[0]');
    assert.ok(media.seen.includes('/moved.wav'));
    assert.deepEqual(internal.seen, []);
  });

  it('a flow whose play action names a file path is refused at create time with 400 INVALID_MEDIA_URL', async () => {
    const res = await cb.api('POST', '/v1.0/flows', {
      name: 'reads files',
      actions: [{ type: 'play', option: { stream_urls: ['https://example.com/a.wav', '/etc/passwd'] } }],
    });
    expectRefused(res, 400, 'INVALID_MEDIA_URL', 'actions[0].option.stream_urls[1]');
  });

  it('customer webhooks honour the allow list in production mode (delivered to 127.0.0.1)', async () => {
    const deadline = Date.now() + 15_000;
    while (!receiver.delivered.some((r) => r.json?.data?.id === callId) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(
      receiver.delivered.some((r) => r.json?.data?.id === callId),
      `got ${receiver.received.length} requests`,
    );
  });
});
