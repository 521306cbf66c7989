import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../shared/index.ts';
import { DigestChallenger, DigestGuard, digestAuthorization, digestHa1s } from '../auth/index.ts';
import { parseMessage } from '../message/index.ts';
import type { SipRequest, SipResponse } from '../message/index.ts';
import type { MessageSource } from '../transport/index.ts';
import { Registrar } from './registrar.ts';
import type { Binding, RegistrarAccount, RegistrarBackend } from './registrar-types.ts';

const DOMAIN = 'c1.sip.test';
const PASSWORD = 's3cret!';
const ACCOUNT: RegistrarAccount = {
  extensionId: 'ext-1',
  customerId: 'c1',
  username: '1001-abc',
  extension: '1001',
  ha1: digestHa1s('1001-abc', 'sip.test', PASSWORD),
  realm: 'sip.test',
};

/** An in-memory backend: one account, bindings in a map. */
class FakeBackend implements RegistrarBackend {
  readonly bindings = new Map<string, Binding>();
  lookups = 0;
  realmFor(domain: string): string {
    return domain === DOMAIN ? DOMAIN : 'sip.test';
  }
  async findAccount(q: { username: string; domain: string }): Promise<RegistrarAccount | undefined> {
    this.lookups += 1;
    if (q.domain === DOMAIN && (q.username === ACCOUNT.username || q.username === ACCOUNT.extension)) {
      return { ...ACCOUNT, realm: DOMAIN, ha1: digestHa1s(q.username, DOMAIN, PASSWORD) };
    }
    return q.username === ACCOUNT.username && q.domain !== DOMAIN ? ACCOUNT : undefined;
  }
  async saveBinding(b: Binding): Promise<void> {
    this.bindings.set(b.contact, b);
  }
  async removeBinding(_extensionId: string, contact: string): Promise<void> {
    this.bindings.delete(contact);
  }
  async removeAll(): Promise<void> {
    this.bindings.clear();
  }
  async listBindings(): Promise<Binding[]> {
    return [...this.bindings.values()];
  }
}

const SOURCE: MessageSource = {
  transport: 'UDP',
  address: '192.0.2.10',
  port: 5062,
  local: { address: '127.0.0.1', port: 5060 },
};

interface RegisterOpts {
  contacts?: string[];
  expires?: number;
  callId?: string;
  cseq?: number;
  to?: string;
  userAgent?: string;
  authorization?: string;
  /** Further header lines (`Path: …`, `Supported: …`). */
  extra?: string[];
}

function register(o: RegisterOpts = {}): SipRequest {
  const lines = [
    'REGISTER sip:127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-' + Math.random().toString(36).slice(2),
    'Max-Forwards: 70',
    `From: <sip:${o.to ?? '1001-abc@127.0.0.1'}>;tag=a1`,
    `To: <sip:${o.to ?? '1001-abc@127.0.0.1'}>`,
    `Call-ID: ${o.callId ?? 'call-1'}`,
    `CSeq: ${o.cseq ?? 1} REGISTER`,
    ...(o.contacts ?? ['<sip:1001-abc@192.0.2.10:5062>']).map((c) => `Contact: ${c}`),
    ...(o.expires !== undefined ? [`Expires: ${o.expires}`] : []),
    ...(o.userAgent ? [`User-Agent: ${o.userAgent}`] : []),
    ...(o.authorization ? [`Authorization: ${o.authorization}`] : []),
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  const msg = parseMessage(Buffer.from(lines.join('\r\n')));
  assert.equal(msg.kind, 'request');
  return msg as SipRequest;
}

function setup(opts: { nonceTtlMs?: number } = {}) {
  const clock = new FakeClock();
  const backend = new FakeBackend();
  const challenger = new DigestChallenger({
    secret: Buffer.from('test-secret'),
    clock,
    ...(opts.nonceTtlMs ? { nonceTtlMs: opts.nonceTtlMs } : {}),
  });
  const guard = new DigestGuard({ challenger, clock });
  const registrar = new Registrar({ backend, guard, clock });
  const send = async (req: SipRequest, source = SOURCE): Promise<SipResponse> => {
    const sent: SipResponse[] = [];
    await registrar.handleRegister(req, { source, respond: (res) => sent.push(res) });
    assert.equal(sent.length, 1, 'one response per REGISTER');
    return sent[0]!;
  };
  /** Challenge, answer with `password` (algorithm picked from the challenge), return the final response. */
  const authed = async (
    o: RegisterOpts & { password?: string; algorithm?: 'MD5' | 'SHA-256'; username?: string } = {},
  ): Promise<SipResponse> => {
    const challenge = await send(register({ ...o, cseq: o.cseq ?? 1 }));
    assert.equal(challenge.status, 401);
    const offers = challenge.headers.getAll('www-authenticate');
    const offer = offers.find((v) => v.includes(`algorithm=${o.algorithm ?? 'MD5'}`));
    assert.ok(offer, `challenge offers ${o.algorithm ?? 'MD5'}`);
    const authorization = digestAuthorization({
      challenge: offer,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      username: o.username ?? ACCOUNT.username,
      password: o.password ?? PASSWORD,
    });
    return send(register({ ...o, cseq: (o.cseq ?? 1) + 1, authorization }));
  };
  return { clock, backend, registrar, send, authed, challenger, guard };
}

const contactsOf = (res: SipResponse): string[] => res.headers.getAll('contact').sort();

describe('Registrar', () => {
  it('REGISTER without credentials: 401 offering SHA-256 then MD5 (RFC 8760 §2.4) with qop=auth, nothing bound', async () => {
    const { send, backend, registrar } = setup();
    const res = await send(register());
    assert.equal(res.status, 401);
    const offers = res.headers.getAll('www-authenticate');
    assert.equal(offers.length, 2);
    assert.match(offers[0]!, /algorithm=SHA-256/);
    assert.match(offers[1]!, /algorithm=MD5/);
    for (const o of offers) assert.match(o, /realm="sip\.test".*qop="auth"/);
    assert.equal(backend.bindings.size, 0);
    assert.equal(registrar.stats().unauthorized, 1);
  });

  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    it(`right password with ${algorithm}: 200 with the binding and its expiry`, async () => {
      const { authed, backend, registrar } = setup();
      const res = await authed({ algorithm, expires: 120, userAgent: 'Linphone/5.2' });
      assert.equal(res.status, 200);
      assert.deepEqual(contactsOf(res), ['<sip:1001-abc@192.0.2.10:5062>;expires=120']);
      const b = backend.bindings.get('sip:1001-abc@192.0.2.10:5062');
      assert.ok(b);
      assert.equal(b.extensionId, 'ext-1');
      assert.equal(b.source, 'udp:192.0.2.10:5062');
      assert.equal(b.transport, 'UDP');
      assert.equal(b.userAgent, 'Linphone/5.2');
      assert.equal(b.cseq, 2);
      assert.equal(registrar.stats().ok, 1);
    });
  }

  it('registering as <extension>@<domain_name> authenticates in the customer realm', async () => {
    const { authed, backend } = setup();
    const res = await authed({ to: `1001@${DOMAIN}`, username: '1001' });
    assert.equal(res.status, 200);
    assert.equal(backend.bindings.size, 1);
  });

  it('wrong password: 403, no binding; an unknown user gets the very same 403', async () => {
    const { authed, backend, registrar } = setup();
    const wrong = await authed({ password: 'nope' });
    const unknown = await authed({ username: '9999-zzz', to: '9999-zzz@127.0.0.1' });
    assert.equal(wrong.status, 403);
    assert.equal(unknown.status, 403);
    assert.equal(wrong.reason, unknown.reason);
    assert.deepEqual(wrong.headers.getAll('www-authenticate'), []);
    assert.equal(backend.bindings.size, 0);
    assert.equal(registrar.stats().forbidden, 2);
  });

  it('To of another user: 403 even with valid credentials', async () => {
    const { authed, backend } = setup();
    const res = await authed({ to: '1002-abc@127.0.0.1' });
    assert.equal(res.status, 403);
    assert.equal(backend.bindings.size, 0);
  });

  it('an expired nonce with the right password: 401 stale=TRUE, then 200 with the fresh one', async () => {
    const { send, clock } = setup({ nonceTtlMs: 30_000 });
    const challenge = await send(register());
    clock.advance(31_000);
    const offer = challenge.headers.getAll('www-authenticate')[1]!;
    const authorization = digestAuthorization({
      challenge: offer,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      username: ACCOUNT.username,
      password: PASSWORD,
    });
    const stale = await send(register({ cseq: 2, authorization }));
    assert.equal(stale.status, 401);
    assert.match(stale.headers.getAll('www-authenticate')[0]!, /stale=TRUE/i);
    const fresh = digestAuthorization({
      challenge: stale.headers.getAll('www-authenticate')[1]!,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      username: ACCOUNT.username,
      password: PASSWORD,
    });
    assert.equal((await send(register({ cseq: 3, authorization: fresh }))).status, 200);
  });

  it('two contacts bind side by side; Expires 0 on one removes only it', async () => {
    const { authed, backend } = setup();
    assert.equal((await authed({ callId: 'a', contacts: ['<sip:p1@192.0.2.10:5062>'] })).status, 200);
    const both = await authed({ callId: 'b', contacts: ['<sip:p2@192.0.2.11:5062>;expires=300'] });
    assert.equal(both.status, 200);
    assert.deepEqual(contactsOf(both), [
      '<sip:p1@192.0.2.10:5062>;expires=3600',
      '<sip:p2@192.0.2.11:5062>;expires=300',
    ]);
    const one = await authed({ callId: 'b', cseq: 10, contacts: ['<sip:p2@192.0.2.11:5062>'], expires: 0 });
    assert.equal(one.status, 200);
    assert.deepEqual(contactsOf(one), ['<sip:p1@192.0.2.10:5062>;expires=3600']);
    assert.deepEqual([...backend.bindings.keys()], ['sip:p1@192.0.2.10:5062']);
  });

  it('Contact * with Expires 0 removes every binding; * without Expires 0 is a 400', async () => {
    const { authed, backend } = setup();
    await authed({ callId: 'a', contacts: ['<sip:p1@192.0.2.10>'] });
    await authed({ callId: 'b', contacts: ['<sip:p2@192.0.2.11>'] });
    assert.equal(backend.bindings.size, 2);
    assert.equal((await authed({ callId: 'c', contacts: ['*'], expires: 60 })).status, 400);
    const res = await authed({ callId: 'c', cseq: 5, contacts: ['*'], expires: 0 });
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers.getAll('contact'), []);
    assert.equal(backend.bindings.size, 0);
  });

  it('bindings expire on the clock: a query after the lifetime lists none', async () => {
    const { authed, clock } = setup();
    await authed({ expires: 60 });
    clock.advance(30_000);
    const half = await authed({ callId: 'q', contacts: [] });
    assert.deepEqual(contactsOf(half), ['<sip:1001-abc@192.0.2.10:5062>;expires=30']);
    clock.advance(31_000);
    const after = await authed({ callId: 'q', cseq: 10, contacts: [] });
    assert.equal(after.status, 200);
    assert.deepEqual(after.headers.getAll('contact'), []);
  });

  it('an interval below 60 s: 423 with Min-Expires; above 3600 s: clamped', async () => {
    const { authed, backend } = setup();
    const brief = await authed({ expires: 30 });
    assert.equal(brief.status, 423);
    assert.equal(brief.headers.get('min-expires'), '60');
    assert.equal(backend.bindings.size, 0);
    const long = await authed({ contacts: ['<sip:p1@192.0.2.10>;expires=86400'] });
    assert.deepEqual(contactsOf(long), ['<sip:p1@192.0.2.10>;expires=3600']);
  });

  it('same Call-ID with a CSeq not above the stored one: 500 and the binding is untouched', async () => {
    const { authed, backend } = setup();
    await authed({ callId: 'x', cseq: 10, expires: 600 });
    const late = await authed({ callId: 'x', cseq: 5, expires: 0 });
    assert.equal(late.status, 500);
    assert.equal(backend.bindings.size, 1);
    assert.equal([...backend.bindings.values()][0]!.cseq, 11);
    const newer = await authed({ callId: 'x', cseq: 20, expires: 0 });
    assert.equal(newer.status, 200);
    assert.equal(backend.bindings.size, 0);
  });

  it('baresip 1.x (libre fails on any non-MD5 challenge) is offered MD5 alone', async () => {
    const { send } = setup();
    const offers = (await send(register({ userAgent: 'baresip v1.0.0 (x86_64/linux)' }))).headers.getAll(
      'www-authenticate',
    );
    assert.equal(offers.length, 1);
    assert.match(offers[0]!, /algorithm=MD5/);
  });

  it('a client that keeps only the last challenge and knows only MD5 (JsSIP 3.13, SIP.js 0.21) registers', async () => {
    const { send, backend } = setup();
    const ua = 'JsSIP 3.13.8';
    const offers = (await send(register({ userAgent: ua }))).headers.getAll('www-authenticate');
    const last = offers.at(-1)!;
    assert.match(last, /algorithm=MD5/, 'the last challenge is the MD5 one');
    const authorization = digestAuthorization({
      challenge: last,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      username: ACCOUNT.username,
      password: PASSWORD,
    });
    assert.equal((await send(register({ userAgent: ua, cseq: 2, authorization }))).status, 200);
    assert.equal(backend.bindings.size, 1);
  });

  it('sipp (answers only the first challenge, MD5 only) is offered MD5 alone', async () => {
    const { send } = setup();
    const offers = (await send(register({ userAgent: 'sipp' }))).headers.getAll('www-authenticate');
    assert.equal(offers.length, 1);
    assert.match(offers[0]!, /algorithm=MD5/);
  });

  it('a scanner User-Agent gets 403 at once without an account lookup', async () => {
    const { send, backend } = setup();
    for (const ua of ['friendly-scanner', 'sipcli/v1.8', 'sipvicious', 'VaxSIPUserAgent/3.1']) {
      assert.equal((await send(register({ userAgent: ua }))).status, 403);
    }
    assert.equal(backend.lookups, 0);
  });

  it('20 failures in a minute block the source for 5 minutes, unchecked; other sources still register', async () => {
    const { authed, send, guard, clock } = setup();
    for (let i = 0; i < 20; i++)
      assert.equal((await authed({ password: 'guess' + i, username: `u${i}`, to: `u${i}@127.0.0.1` })).status, 403);
    const evaluated = guard.stats().evaluated;
    assert.equal((await authed()).status, 403, 'the right password from the blocked source is refused');
    assert.equal(guard.stats().evaluated, evaluated, 'without being checked');
    const other: MessageSource = { ...SOURCE, address: '192.0.2.99' };
    const offer = (await send(register(), other)).headers.getAll('www-authenticate')[0]!;
    const authorization = digestAuthorization({
      challenge: offer,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      username: ACCOUNT.username,
      password: PASSWORD,
    });
    assert.equal((await send(register({ callId: 'other', cseq: 2, authorization }), other)).status, 200);
    clock.advance(300_001);
    assert.equal((await authed()).status, 200);
  });

  it('failures spread wider than the window never block', async () => {
    const { authed, clock } = setup();
    for (let i = 0; i < 25; i++) {
      assert.equal((await authed({ password: 'x' })).status, 403);
      clock.advance(4_000);
    }
    assert.equal((await authed()).status, 200);
  });

  it('a backend failure answers 500 and is counted as error', async () => {
    const { send, challenger, registrar, backend } = setup();
    backend.findAccount = async () => {
      throw new Error('database down');
    };
    const offer = challenger.challenge('sip.test', { algorithms: ['MD5'], source: SOURCE.address })[0]!;
    const authorization = digestAuthorization({
      challenge: offer,
      method: 'REGISTER',
      uri: 'sip:127.0.0.1',
      username: ACCOUNT.username,
      password: PASSWORD,
    });
    assert.equal((await send(register({ authorization }))).status, 500);
    assert.equal(registrar.stats().error, 1);
  });

  describe('Path (RFC 3327 §5.3)', () => {
    const EDGE = '<sip:203.0.113.5:5060;lr>';
    const OUTER = '<sip:198.51.100.7;lr;received=sip:192.0.2.10%3A5062>';

    it('with Supported: path, the Path values are kept with the binding in order and echoed in the 200', async () => {
      const { authed, backend } = setup();
      const res = await authed({ extra: [`Path: ${EDGE}`, `Path: ${OUTER}`, 'Supported: replaces, path'] });
      assert.equal(res.status, 200);
      assert.deepEqual(res.headers.getAll('path'), [EDGE, OUTER]);
      assert.deepEqual(backend.bindings.get('sip:1001-abc@192.0.2.10:5062')?.path, [EDGE, OUTER]);
      // One header line holding both values reads the same.
      const again = await authed({ callId: 'x', extra: [`Path: ${EDGE}, ${OUTER}`, 'Supported: path'] });
      assert.deepEqual(again.headers.getAll('path'), [EDGE, OUTER]);
      assert.deepEqual(backend.bindings.get('sip:1001-abc@192.0.2.10:5062')?.path, [EDGE, OUTER]);
    });

    it('a refresh without Path drops the stored one; without Supported: path a Path is ignored', async () => {
      const { authed, backend } = setup();
      await authed({ extra: [`Path: ${EDGE}`, 'Supported: path'] });
      const refreshed = await authed({ cseq: 5 });
      assert.deepEqual(refreshed.headers.getAll('path'), []);
      assert.deepEqual(backend.bindings.get('sip:1001-abc@192.0.2.10:5062')?.path, []);
      const unsupported = await authed({ cseq: 9, extra: [`Path: ${EDGE}`, 'Supported: replaces'] });
      assert.equal(unsupported.status, 200);
      assert.deepEqual(unsupported.headers.getAll('path'), []);
      assert.deepEqual(backend.bindings.get('sip:1001-abc@192.0.2.10:5062')?.path, []);
    });

    it('a malformed Path or one that is not a SIP URI: 400 and nothing bound', async () => {
      for (const path of ['<sip:203.0.113.5;lr', '<tel:+15550001000>']) {
        const { authed, backend } = setup();
        const res = await authed({ extra: [`Path: ${path}`, 'Supported: path'] });
        assert.equal(res.status, 400, path);
        assert.equal(res.reason, 'Malformed Path');
        assert.equal(backend.bindings.size, 0);
      }
    });
  });
});
