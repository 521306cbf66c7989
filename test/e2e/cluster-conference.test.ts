import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { dropDatabase, ensureDatabase, newAdminKey, withDatabase } from '../../scripts/cluster-launcher.ts';
import { requestAdmission } from '../../src/cluster/index.ts';
import { MediaEndpoint } from '../../src/endpoint/media-endpoint.ts';
import { FRAME_SAMPLES, PcmSource } from '../../src/media/index.ts';
import { SipResponseError } from '../../src/shared/index.ts';
import { expectStatus, waitForCall, type TestCallbin } from '../support/callbin.ts';
import { TEST_DATABASE_SERVER, startInProcessNode } from '../support/cluster.ts';
import { startMediaUa, type MediaCall, type MediaUa } from '../support/media-call.ts';
import { pause, rms, tone, toneAmplitude } from '../support/phones.ts';

// docs/cluster.md "Conferences across nodes": two nodes in this process on one fresh PostgreSQL
// database and the real NATS server. The conference's room is on node A; caller 1 calls node A,
// caller 2 calls node B, and each hears the other's tone through the leg between the nodes.

const run = randomBytes(4).toString('hex');
const NUMBER = '+15557770100';
/** Amplitude above which a tone counts as heard (played at 8000), and below which it counts as absent. */
const HEARD = 1500;
const ABSENT = 400;

/** `sip:<user>@` one node's loopback SIP address. */
function sipUriOf(node: Node, user: string): string {
  return `sip:${user}@127.0.0.1:${node.sipPort}`;
}

/** One node of this file's cluster, in this process. */
type Node = TestCallbin;

function startNode(name: string, databaseUrl: string, adminKey: string): Promise<Node> {
  return startInProcessNode(`conf-${name}-${run}`, databaseUrl, adminKey);
}

async function stopNode(node: Node | undefined): Promise<void> {
  await node?.close();
}

/** One caller of the test UA: it sends a looped tone and keeps every frame it hears. */
class ToneCaller {
  readonly frames: Int16Array[] = [];
  readonly call: MediaCall;
  readonly hz: number;
  readonly #off: () => void;

  constructor(ua: MediaUa, call: MediaCall, hz: number) {
    this.call = call;
    this.hz = hz;
    void call.endpoint.play(new PcmSource(tone(hz, 1), { loop: true }));
    this.#off = ua.mediaClock.addListener(() => {
      const frame = new Int16Array(FRAME_SAMPLES);
      if (call.endpoint.audio.read(frame)) this.frames.push(frame);
    });
    if (!ua.mediaClock.running) ua.mediaClock.start();
  }

  /** What it hears during the next `ms`. */
  async listen(ms: number): Promise<Int16Array> {
    const from = this.frames.length;
    await pause(ms);
    const heard = this.frames.slice(from);
    const pcm = new Int16Array(heard.length * FRAME_SAMPLES);
    heard.forEach((f, i) => pcm.set(f, i * FRAME_SAMPLES));
    return pcm;
  }

  stop(): void {
    this.#off();
  }
}

function assertHears(heard: Int16Array, hz: number, what: string): void {
  assert.ok(heard.length >= 4000, `${what}: at least half a second was heard (${heard.length} samples)`);
  const amp = toneAmplitude(heard, hz);
  assert.ok(amp > HEARD, `${what}: ${hz} Hz heard (amplitude ${amp.toFixed(0)}, rms ${rms(heard).toFixed(0)})`);
}

function assertDoesNotHear(heard: Int16Array, hz: number, what: string): void {
  const amp = toneAmplitude(heard, hz);
  assert.ok(amp < ABSENT, `${what}: ${hz} Hz not heard (amplitude ${amp.toFixed(0)}, rms ${rms(heard).toFixed(0)})`);
}

async function eventually<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)),
  ]);
}

describe('cluster e2e: callers on two nodes in one conference', { timeout: 120_000 }, () => {
  const databaseUrl = withDatabase(TEST_DATABASE_SERVER, `callbin_conf_${run}`);
  const adminKey = newAdminKey();
  let a: Node | undefined;
  let b: Node | undefined;
  let ua: MediaUa | undefined;
  let conferenceId = '';
  const callers: ToneCaller[] = [];

  before(async () => {
    await ensureDatabase(databaseUrl);
    a = await startNode('a', databaseUrl, adminKey);
    b = await startNode('b', databaseUrl, adminKey);
    ua = await startMediaUa();
    // INVITEs from loopback come from a provider: the number's flow runs for them.
    expectStatus(
      await a.api('POST', '/v1.0/providers', { hostname: '127.0.0.1', port: 5, transport: 'udp', name: 'loopback' }),
      200,
    );
    const conference = expectStatus(await a.api('POST', '/v1.0/conferences', { type: 'conference', name: 'x' }), 200);
    conferenceId = conference.id;
    const flow = expectStatus(
      await a.api('POST', '/v1.0/flows', {
        name: 'join the conference',
        actions: [{ type: 'conference_join', option: { conference_id: conferenceId } }],
      }),
      200,
    );
    expectStatus(await a.api('POST', '/v1.0/numbers', { number: NUMBER, call_flow_id: flow.id }), 200);
  });
  after(async () => {
    for (const c of callers) c.stop();
    await ua?.close();
    await stopNode(b);
    await stopNode(a);
    await dropDatabase(databaseUrl).catch(() => undefined);
  });

  const joined = async (): Promise<any[]> =>
    expectStatus(await a!.api('GET', `/v1.0/conferencecalls?conference_id=${conferenceId}&status=joined`), 200).result;

  it('caller 1 on A and caller 2 on B hear each other, not themselves; a kick through A ends the leg of caller 2', async () => {
    assert.ok(a && b && ua);
    assert.equal(await a.handle.store.conferences.ownerOf(conferenceId), a.handle.nodeId);
    const one = new ToneCaller(ua, await ua.call(sipUriOf(a, NUMBER)), 500);
    const two = new ToneCaller(ua, await ua.call(sipUriOf(b, NUMBER)), 1300);
    callers.push(one, two);
    const members = await eventually(async () => {
      const list = await joined();
      return list.length === 2 ? list : undefined;
    }, 'two joined conferencecalls');
    const owners = await Promise.all(members.map((cc) => a!.handle.store.calls.ownerOf(cc.reference_id)));
    assert.deepEqual([...owners].sort(), [a.handle.nodeId, b.handle.nodeId].sort(), 'one call on each node');
    const ccOfTwo = members.find((_cc, i) => owners[i] === b!.handle.nodeId);
    assert.ok(ccOfTwo);
    const callOfTwo = await waitForCall(b, ccOfTwo.reference_id, (c) => c.conference_id === conferenceId);
    assert.equal(callOfTwo.status, 'progressing');

    await pause(500);
    const [oneHeard, twoHeard] = await Promise.all([one.listen(1000), two.listen(1000)]);
    assertHears(oneHeard, two.hz, 'caller 1 (node A) hears caller 2 (node B)');
    assertHears(twoHeard, one.hz, 'caller 2 (node B) hears caller 1 (node A)');
    assertDoesNotHear(oneHeard, one.hz, 'caller 1 does not hear itself');
    assertDoesNotHear(twoHeard, two.hz, 'caller 2 does not hear itself');

    const kicked = expectStatus(await a.api('DELETE', `/v1.0/conferencecalls/${ccOfTwo.id}`), 200);
    assert.equal(kicked.status, 'leaved');
    // Its flow has nothing after conference_join: the call of caller 2 on B hangs up, caller 2 gets BYE.
    await within(two.call.ended, 15_000, 'the BYE to caller 2');
    await waitForCall(b, ccOfTwo.reference_id, (c) => c.status === 'hangup');
    assert.equal((await joined()).length, 1);
    await pause(300);
    assertDoesNotHear(await one.listen(1000), two.hz, 'caller 1 after caller 2 was kicked');
    await one.call.hangup();
  });

  it('admission: a foreign customer or an unknown conference is refused over the bus', async () => {
    assert.ok(a && b);
    const bus = b.handle.bus;
    assert.ok(bus);
    const ask = (conference: string, customerId: string) =>
      requestAdmission(bus, a!.handle.nodeId, { conferenceId: conference, callId: 'c1', customerId });
    await assert.rejects(ask(conferenceId, '00000000-0000-4000-8000-000000000001'), { code: 'CONFERENCE_NOT_FOUND' });
    const customer = expectStatus(await a.api('GET', `/v1.0/conferences/${conferenceId}`), 200).customer_id;
    await assert.rejects(ask('00000000-0000-4000-8000-00000000dead', customer), { code: 'CONFERENCE_NOT_FOUND' });
  });

  it('an INVITE with a forged token, or a token used already, gets 403', async () => {
    assert.ok(a && b && ua);
    const invite = async (token: string): Promise<number> => {
      const { endpoint, offerSdp } = await MediaEndpoint.offer({
        allocator: ua!.allocator,
        mediaClock: ua!.mediaClock,
        address: '127.0.0.1',
      });
      try {
        const { dialog } = await ua!.testUa.ua.invite({
          to: sipUriOf(a!, 'callbin'),
          from: `sip:callbin@127.0.0.1:${ua!.testUa.port}`,
          body: offerSdp,
          contentType: 'application/sdp',
          headers: [['X-Callbin-Join', token]],
        });
        if (dialog.state === 'confirmed') await dialog.bye().catch(() => undefined);
        return 200;
      } catch (err) {
        if (err instanceof SipResponseError) return err.status;
        throw err;
      } finally {
        await endpoint.close();
      }
    };
    assert.equal(await invite(randomBytes(32).toString('base64url')), 403, 'a forged token');
    const customer = expectStatus(await a.api('GET', `/v1.0/conferences/${conferenceId}`), 200).customer_id;
    const bus = b.handle.bus;
    assert.ok(bus);
    const grant = await requestAdmission(bus, a.handle.nodeId, {
      conferenceId,
      callId: '00000000-0000-4000-8000-0000000000ca',
      customerId: customer,
    });
    assert.equal(grant.sipUri, `sip:callbin@127.0.0.1:${a.handle.sip.address.port}`);
    // The first use is taken (the call it names is unknown, so the room's node ends the leg at once).
    assert.equal(await invite(grant.token), 200, 'the token, once');
    assert.equal(await invite(grant.token), 403, 'the same token again');
  });

  it("mute through B and the caller's hangup on B reach the room on A; deleting the conference through B ends the room on A and the calls on both", async () => {
    assert.ok(a && b && ua);
    const one = new ToneCaller(ua, await ua.call(sipUriOf(a, NUMBER)), 500);
    callers.push(one);
    const [ccOfOne] = await eventually(async () => {
      const list = await joined();
      return list.length === 1 ? list : undefined;
    }, 'caller 1 joined');
    const two = new ToneCaller(ua, await ua.call(sipUriOf(b, NUMBER)), 1300);
    callers.push(two);
    const ccOfTwo = await eventually(async () => {
      const list = await joined();
      return list.length === 2 ? list.find((cc) => cc.id !== ccOfOne.id) : undefined;
    }, 'caller 2 joined');
    assert.equal(await a.handle.store.calls.ownerOf(ccOfTwo.reference_id), b.handle.nodeId);
    const three = new ToneCaller(ua, await ua.call(sipUriOf(b, NUMBER)), 900);
    callers.push(three);
    await eventually(async () => ((await joined()).length === 3 ? true : undefined), 'caller 3 joined');

    assert.equal(expectStatus(await b.api('POST', `/v1.0/conferencecalls/${ccOfTwo.id}/mute`), 200).muted, true);
    await pause(300);
    const [oneHeard, threeHeard] = await Promise.all([one.listen(1000), three.listen(1000)]);
    assertDoesNotHear(oneHeard, two.hz, 'caller 1 with caller 2 muted');
    assertDoesNotHear(threeHeard, two.hz, 'caller 3 with caller 2 muted');
    assertHears(oneHeard, three.hz, 'caller 1 hears caller 3 (both callers on B are in the room on A)');
    assertHears(threeHeard, one.hz, 'caller 3 hears caller 1');

    await two.call.hangup();
    await eventually(async () => {
      const cc = expectStatus(await a!.api('GET', `/v1.0/conferencecalls/${ccOfTwo.id}`), 200);
      return cc.status === 'leaved' ? cc : undefined;
    }, "caller 2's participant to leave the room on A");
    assert.equal((await joined()).length, 2);

    // B does not hold the room: the delete runs on A, which ends it (docs/cluster.md "Any node serves the whole API").
    expectStatus(await b.api('DELETE', `/v1.0/conferences/${conferenceId}`), 200);
    await within(Promise.all([one.call.ended, three.call.ended]), 15_000, 'the BYEs to callers 1 and 3');
    assert.deepEqual(await joined(), []);
  });

  it('a node that shuts down ends the legs into its rooms: the caller on the other node goes on with its flow', async () => {
    assert.ok(a && b && ua);
    const room = expectStatus(await a.api('POST', '/v1.0/conferences', { type: 'conference' }), 200);
    const flow = expectStatus(
      await a.api('POST', '/v1.0/flows', {
        name: 'join, then talk',
        actions: [
          { type: 'conference_join', option: { conference_id: room.id } },
          { type: 'talk', option: { text: 'The conference has ended.', language: 'en-US' } },
        ],
      }),
      200,
    );
    expectStatus(await a.api('POST', '/v1.0/numbers', { number: '+15557770200', call_flow_id: flow.id }), 200);
    const caller = new ToneCaller(ua, await ua.call(sipUriOf(b, '+15557770200')), 700);
    callers.push(caller);
    const [cc] = await eventually(async () => {
      const list = expectStatus(
        await b!.api('GET', `/v1.0/conferencecalls?conference_id=${room.id}&status=joined`),
        200,
      ).result;
      return list.length === 1 ? list : undefined;
    }, 'the caller on B joined the room on A');
    await a.handle.close();
    const call = await waitForCall(b, cc.reference_id, (c) => c.status === 'hangup');
    assert.equal(call.hangup_by, 'local', 'its flow ran to the end on B');
    const activeflow = expectStatus(await b.api('GET', `/v1.0/activeflows/${call.activeflow_id}`), 200);
    assert.deepEqual(
      activeflow.executed_actions.map((x: { type: string }) => x.type),
      ['conference_join', 'talk'],
    );
    await within(caller.call.ended, 5_000, 'the BYE to the caller on B');
  });
});
