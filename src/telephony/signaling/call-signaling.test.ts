import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AttemptFailure, LegEvents, Provider } from '../../calls/index.ts';
import { MediaClock } from '../../media/index.ts';
import type { IncomingInvite } from '../../sip/dialog/index.ts';
import { randomPortAllocator } from '../../../test/support/media-call.ts';
import { startTestUa } from '../../../test/support/sip-ua.ts';
import type { TestUa } from '../../../test/support/sip-ua.ts';
import { CallMedia } from '../media/call-media.ts';
import { CallSignaling, callerIdentity, inviteTargets, providerHeaders, providerRequestUri } from './call-signaling.ts';
import { MediaEndpoint } from '../../endpoint/media-endpoint.ts';
import { bestFailure } from './outgoing-leg.ts';

const trunk: Provider = {
  id: 'p1',
  hostname: 'sip.carrier.example',
  port: 5080,
  transport: 'tcp',
  tech_prefix: '',
  tech_postfix: '',
  tech_headers: { 'X-Account': '42', 'X-Trunk': 'eu' },
  auth_username: '',
  auth_password: '',
};
const ada = { type: 'tel', target: '+15550001000', target_name: 'Ada Lovelace', name: '', detail: '' } as const;

describe('CallSignaling: what the INVITE carries', () => {
  it('provider Request-URI keeps the + without a tech prefix, and the prefix replaces it otherwise', () => {
    assert.equal(
      providerRequestUri(trunk, '+442071234567'),
      'sip:+442071234567@sip.carrier.example:5080;transport=tcp',
    );
    assert.equal(
      providerRequestUri({ ...trunk, tech_prefix: '00', tech_postfix: '#77', transport: 'UDP' }, '+442071234567'),
      'sip:00442071234567#77@sip.carrier.example:5080;transport=udp',
    );
  });

  it('tech_headers become INVITE headers and auth credentials are attached', () => {
    assert.deepEqual(providerHeaders(trunk), [
      ['X-Account', '42'],
      ['X-Trunk', 'eu'],
    ]);
    const [target] = inviteTargets(
      { kind: 'provider', provider: { ...trunk, auth_username: 'acct', auth_password: 'pw' }, number: '+15550002000' },
      'callbin.test',
    );
    assert.deepEqual(target?.auth, { username: 'acct', password: 'pw' });
    assert.equal(target?.to, '<sip:+15550002000@sip.carrier.example:5080>');
    assert.equal(inviteTargets({ kind: 'provider', provider: trunk, number: '+1555' }, 'h')[0]?.auth, undefined);
  });

  it('From shows target_name; anonymous hides it with Privacy: id', () => {
    assert.deepEqual(callerIdentity(ada, false, 'callbin.test'), {
      from: '"Ada Lovelace" <sip:+15550001000@callbin.test>',
      headers: [],
    });
    assert.deepEqual(callerIdentity(ada, true, 'callbin.test'), {
      from: '"Anonymous" <sip:anonymous@anonymous.invalid>',
      headers: [['Privacy', 'id']],
    });
    assert.equal(
      callerIdentity({ ...ada, type: 'sip', target: 'bob@example.com', target_name: '' }, false, 'h').from,
      '<sip:bob@example.com>',
    );
  });

  it('contacts fork to one INVITE per registered contact', () => {
    const targets = inviteTargets(
      { kind: 'contacts', extension: '1001', contacts: ['<sip:a@10.0.0.1:5062;transport=tcp>', 'sip:b@10.0.0.2'] },
      'h',
    );
    assert.deepEqual(
      targets.map((t) => t.requestUri),
      ['sip:a@10.0.0.1:5062;transport=tcp', 'sip:b@10.0.0.2'],
    );
  });

  it('the best failure of a fork: 6xx first, else the lowest status, else timeout', () => {
    const s = (sip_status: number): AttemptFailure => ({ kind: 'status', sip_status });
    assert.deepEqual(bestFailure([s(486), s(603), { kind: 'timeout' }]), s(603));
    assert.deepEqual(bestFailure([s(503), s(486)]), s(486));
    assert.deepEqual(bestFailure([{ kind: 'transport' }, { kind: 'timeout' }]), { kind: 'timeout' });
  });
});

/** LegEvents that record what happened, with a promise per first occurrence. */
function recorder(): LegEvents & { log: string[]; next(what: string): Promise<void> } {
  const log: string[] = [];
  const waiters: [string, () => void][] = [];
  const push = (entry: string): void => {
    log.push(entry);
    for (const [what, resolve] of waiters) if (entry.startsWith(what)) resolve();
  };
  return {
    log,
    next: (what) =>
      log.some((e) => e.startsWith(what)) ? Promise.resolve() : new Promise((resolve) => waiters.push([what, resolve])),
    ringing: (info) => push(`ringing ${info.sip_status}`),
    answered: () => push('answered'),
    failed: (f) => push(`failed ${f.kind === 'status' ? f.sip_status : f.kind}`),
    remoteBye: () => push('remoteBye'),
    remoteCancel: () => push('remoteCancel'),
  };
}

describe('CallSignaling on loopback', () => {
  let callbin: TestUa;
  let phones: TestUa[];
  const allocator = randomPortAllocator(10);
  const mediaClock = new MediaClock();
  const endpointOptions = { allocator, address: '127.0.0.1', mediaClock };
  const media = new CallMedia();
  const answered: MediaEndpoint[] = [];

  before(async () => {
    callbin = await startTestUa({ transport: 'udp' });
    phones = [await startTestUa({ transport: 'udp' }), await startTestUa({ transport: 'udp' })];
  });

  after(async () => {
    await Promise.all([callbin, ...phones].map((u) => u.close()));
    await Promise.all(answered.map((e) => e.close()));
    await media.close();
    mediaClock.close();
    assert.equal(allocator.inUse, 0);
  });

  function signaling(): CallSignaling {
    return new CallSignaling({ ua: callbin.ua, media, endpointOptions, fromHost: '127.0.0.1' });
  }

  async function answer(invite: IncomingInvite): Promise<void> {
    const { endpoint, answerSdp } = await MediaEndpoint.answer({
      ...endpointOptions,
      offerSdp: invite.request.body.toString(),
    });
    answered.push(endpoint);
    invite.accept({ body: answerSdp, contentType: 'application/sdp' });
  }

  it('a provider that challenges 407 gets digest credentials, the tech headers and the built Request-URI', async () => {
    const seen: IncomingInvite[] = [];
    const off = phones[0]!.ua.on('invite', (invite) => {
      seen.push(invite);
      if (seen.length === 1)
        invite.reject(407, undefined, [
          ['Proxy-Authenticate', 'Digest realm="carrier", nonce="abc", qop="auth", algorithm=MD5'],
        ]);
      else void answer(invite);
    });
    const provider = {
      ...trunk,
      hostname: '127.0.0.1',
      port: phones[0]!.port,
      transport: 'udp',
      tech_prefix: '00',
      auth_username: 'acct',
      auth_password: 'pw',
    };
    const events = recorder();
    const attempt = signaling().dial(
      {
        call_id: 'c1',
        customer_id: 'k',
        source: ada,
        destination: ada,
        target: { kind: 'provider', provider, number: '+15550002000' },
        anonymous: false,
      },
      events,
    );
    await events.next('answered');
    const second = seen[1]!.request;
    assert.equal(second.uri, `sip:0015550002000@127.0.0.1:${phones[0]!.port};transport=udp`);
    assert.match(second.headers.get('proxy-authorization') ?? '', /username="acct"/);
    assert.equal(second.headers.get('x-account'), '42');
    assert.match(second.headers.get('from') ?? '', /^"Ada Lovelace" <sip:\+15550001000@127\.0\.0\.1>/);
    assert.equal(media.size, 1, 'the leg media is registered');
    await attempt.bye();
    off();
    assert.deepEqual(events.log, ['answered']);
  });

  it('contacts: the first 2xx wins and the other fork is CANCELled', async () => {
    const cancelled = new Promise<void>((resolve) => {
      phones[0]!.ua.on('invite', (invite) => {
        invite.progress(180);
        invite.on('cancelled', () => resolve());
      });
    });
    phones[1]!.ua.on('invite', (invite) => {
      setTimeout(() => void answer(invite), 100);
    });
    const contacts = phones.map((p) => `<sip:phone@127.0.0.1:${p.port}>`);
    const events = recorder();
    const attempt = signaling().dial(
      {
        call_id: 'c2',
        customer_id: 'k',
        source: ada,
        destination: ada,
        target: { kind: 'contacts', extension: '1001', contacts },
        anonymous: true,
      },
      events,
    );
    await events.next('answered');
    await cancelled;
    assert.deepEqual(events.log, ['ringing 180', 'answered']);
    await attempt.bye();
  });
});
