import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Call } from '../../src/calls/index.ts';
import { NIL_UUID, newId } from '../../src/shared/index.ts';
import { RtpProbe, startCallsStack, startSipp, waitForUdpBound } from '../support/calls-harness.ts';
import type { CallsStack, SippProcess } from '../support/calls-harness.ts';
import { freeMediaPort, freePort } from '../support/sipp.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));
const CALLER = { type: 'tel', target: '+15550001000', target_name: 'Ada', name: '', detail: '' } as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('calls adapters with sipp on loopback', () => {
  let stack: CallsStack;
  let sipps: SippProcess[];
  let probes: RtpProbe[];

  beforeEach(async () => {
    stack = await startCallsStack();
    sipps = [];
    probes = [];
  });

  afterEach(async () => {
    await Promise.all(sipps.map((s) => s.stop()));
    await Promise.all(probes.map((p) => p.close()));
    await stack.close();
    assert.equal(stack.media.size, 0, 'every media leg released');
    assert.equal(stack.allocator.inUse, 0, 'every RTP port released');
    assert.deepEqual(stack.flows.errors, []);
  });

  /** A sipp provider (UAS) on its own free ports; `scenario` is a fixture file or `uas` for the built-in one. */
  async function provider(scenario: string, extra: readonly string[] = []): Promise<{ id: string; sipp: SippProcess }> {
    const port = await freePort('udp');
    const mediaPort = await freeMediaPort();
    const source = scenario === 'uas' ? ['-sn', 'uas'] : ['-sf', `${FIXTURES}${scenario}`];
    const sipp = await startSipp([
      ...source,
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-mp',
      String(mediaPort),
      '-m',
      '1',
      ...extra,
    ]);
    sipps.push(sipp);
    await waitForUdpBound(port);
    return { id: await storeProvider(port), sipp };
  }

  async function storeProvider(port: number): Promise<string> {
    const row = await stack.store.providers.create({
      customer_id: NIL_UUID,
      type: 'sip',
      hostname: '127.0.0.1',
      port,
      transport: 'udp',
      tech_prefix: '',
      tech_postfix: '',
      tech_headers: {},
      auth_username: '',
      auth_password: '',
      name: `sipp ${port}`,
      detail: '',
      codecs: ['PCMU'],
    });
    return row.id;
  }

  async function route(providerId: string, priority: number): Promise<string> {
    const row = await stack.store.routes.create({
      customer_id: stack.customerId,
      provider_id: providerId,
      priority,
      target: 'all',
      name: '',
      detail: '',
    });
    return row.id;
  }

  async function dialTel(target: string, extra: { master_call_id?: string } = {}): Promise<Call> {
    const [call] = await stack.service.createOutgoing({
      customer_id: stack.customerId,
      source: CALLER,
      destinations: [{ type: 'tel', target }],
      actions: [],
      ...extra,
    });
    assert.ok(call);
    return call;
  }

  function statusesOf(callId: string): string[] {
    const statuses = stack.events.filter((e) => e.call.id === callId).map((e) => e.call.status);
    return statuses.filter((s, i) => s !== statuses[i - 1]);
  }

  async function number(target: string): Promise<void> {
    await stack.store.numbers.create({
      customer_id: stack.customerId,
      number: target,
      call_flow_id: newId(),
      name: 'main',
      detail: '',
      status: 'active',
    });
  }

  /** A sipp caller into callbin from `ip`, its media on `probe`. */
  async function caller(
    scenario: string,
    dialled: string,
    options: { ip?: string; probe?: RtpProbe } = {},
  ): Promise<SippProcess> {
    const port = await freePort('udp');
    const keys = options.probe ? ['-key', 'rtp_port', String(options.probe.port)] : [];
    const sipp = await startSipp([
      '-sf',
      `${FIXTURES}${scenario}`,
      `127.0.0.1:${stack.sipPort}`,
      '-i',
      options.ip ?? '127.0.0.1',
      '-p',
      String(port),
      '-mp',
      String(await freeMediaPort()),
      '-m',
      '1',
      '-s',
      dialled,
      ...keys,
    ]);
    sipps.push(sipp);
    return sipp;
  }

  it('outgoing tel call: dialing -> ringing -> progressing, then the provider BYE ends it remote/normal', async () => {
    const p = await provider('calls-uas-answer-bye.xml');
    const routeId = await route(p.id, 1);
    const call = await dialTel('+15550002000');
    assert.equal(call.status, 'dialing');
    const ended = await stack.waitFor((c) => c.id === call.id && c.status === 'hangup');
    assert.deepEqual(statusesOf(call.id), ['dialing', 'ringing', 'progressing', 'hangup']);
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'normal');
    assert.deepEqual(
      ended.route_attempts.map((a) => [a.route_id, a.sip_status]),
      [[routeId, 200]],
    );
    assert.equal((await p.sipp.exited).code, 0, 'sipp saw INVITE, ACK and the 200 to its BYE');
  });

  it('outgoing call: 486 ends the call busy without failover', async () => {
    const busy = await provider('calls-uas-486.xml');
    await route(busy.id, 1);
    await route(await storeProvider(await freePort('udp')), 2);
    const call = await dialTel('+15550002001');
    const ended = await stack.waitFor((c) => c.id === call.id && c.status === 'hangup');
    assert.equal(ended.hangup_by, 'remote');
    assert.equal(ended.hangup_reason, 'busy');
    assert.deepEqual(
      ended.route_attempts.map((a) => [a.provider_id, a.sip_status]),
      [[busy.id, 486]],
    );
    assert.equal((await busy.sipp.exited).code, 0, 'sipp got the ACK for its 486');
  });

  it('failover: 503, then a provider that never answers, then one that answers: one call, three route attempts', async () => {
    const failing = await provider('calls-uas-503.xml');
    const silent = await provider('calls-uas-silent.xml');
    const answering = await provider('uas');
    for (const [i, p] of [failing, silent, answering].entries()) await route(p.id, i + 1);
    const call = await dialTel('+15550002002');
    const answered = await stack.waitFor((c) => c.id === call.id && c.status === 'progressing');
    assert.deepEqual(
      answered.route_attempts.map((a) => [a.provider_id, a.sip_status, a.reason]),
      [
        [failing.id, 503, 'failed'],
        [silent.id, 0, 'failed'],
        [answering.id, 200, 'answered'],
      ],
    );
    assert.equal(new Set(stack.events.map((e) => e.call.id)).size, 1, 'one call object');
    assert.equal(stack.events.filter((e) => e.type === 'call_created').length, 1);
    await stack.service.hangup(call.id);
    const ended = await stack.waitFor((c) => c.id === call.id && c.status === 'hangup');
    assert.equal(ended.hangup_by, 'local');
    assert.equal(ended.hangup_reason, 'normal');
    assert.equal((await answering.sipp.exited).code, 0, 'the answering sipp got our BYE');
  });

  it('incoming: a provider call to a number with a flow is answered, hears speech, and callbin hangs up (local/normal)', async () => {
    await storeProvider(await freePort('udp'));
    await number('+15550003000');
    stack.flows.onExecute = async (callId) => {
      await stack.service.answer(callId);
      const legId = stack.media.legIdForCall(callId);
      assert.ok(legId, 'the answered call has a media leg');
      assert.equal(await stack.media.talkAndWait(legId, { text: 'hello', language: 'en-US' }), 'ended');
      await stack.service.hangup(callId);
    };
    const probe = await RtpProbe.open();
    probes.push(probe);
    const sipp = await caller('calls-uac-incoming.xml', '+15550003000', { probe });
    const ended = await stack.waitFor((c) => c.direction === 'incoming' && c.status === 'hangup');
    assert.equal((await sipp.exited).code, 0, 'sipp saw 200 and our BYE');
    assert.deepEqual(statusesOf(ended.id), ['ringing', 'progressing', 'terminating', 'hangup']);
    assert.equal(ended.hangup_by, 'local');
    assert.equal(ended.hangup_reason, 'normal');
    assert.equal(ended.destination.target, '+15550003000');
    assert.equal(ended.source.target, '+15550001111');
    assert.ok(probe.audiblePackets > 10, `callbin sent ${probe.packets} RTP packets, ${probe.audiblePackets} audible`);
  });

  it('incoming: an unknown number is refused 404 and an unknown source address 403, with no call object', async () => {
    await storeProvider(await freePort('udp'));
    await number('+15550003001');
    const unknownNumber = await caller('calls-uac-refused-404.xml', '+15559999999');
    assert.equal((await unknownNumber.exited).code, 0, 'sipp got 404');
    const stranger = await caller('calls-uac-refused-403.xml', '+15550003001', { ip: '127.0.0.2' });
    assert.equal((await stranger.exited).code, 0, 'sipp got 403');
    await stack.service.whenIdle();
    assert.equal(stack.events.length, 0);
    assert.equal(stack.callStore.rows.size, 0);
  });

  it('bridge: a caller connected to a provider that echoes RTP hears its own audio back through callbin', async () => {
    const echo = await provider('uas', ['-rtp_echo']);
    await route(echo.id, 1);
    await number('+15550003002');
    let chainedId = '';
    let bridged!: () => void;
    const isBridged = new Promise<void>((resolve) => (bridged = resolve));
    stack.flows.onExecute = async (callId) => {
      const call = await stack.service.get(callId);
      if (call?.direction !== 'incoming') return;
      await stack.service.answer(callId);
      await sleep(600);
      const chained = await dialTel('+15550004000', { master_call_id: callId });
      chainedId = chained.id;
      await stack.waitFor((c) => c.id === chained.id && c.status === 'progressing');
      await stack.media.bridge(stack.media.legIdForCall(callId) ?? '', stack.media.legIdForCall(chained.id) ?? '');
      bridged();
    };
    const probe = await RtpProbe.open();
    probes.push(probe);
    const sipp = await caller('calls-uac-incoming.xml', '+15550003002', { probe });
    const answered = await stack.waitFor((c) => c.direction === 'incoming' && c.status === 'progressing');
    probe.startTone();
    await sleep(400);
    assert.equal(probe.audiblePackets, 0, 'before the bridge callbin sends silence');
    await isBridged;
    probe.reset();
    await sleep(1000);
    assert.ok(probe.audiblePackets > 20, `after the bridge: ${probe.packets} packets, ${probe.audiblePackets} audible`);
    await stack.service.hangup(answered.id);
    const chainedEnd = await stack.waitFor((c) => c.id === chainedId && c.status === 'hangup');
    assert.equal(chainedEnd.hangup_by, 'local');
    assert.equal((await sipp.exited).code, 0);
    assert.equal((await echo.sipp.exited).code, 0, 'the provider got the cascaded BYE');
  });
});
