import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { digestAuthorization } from '../../src/sip/index.ts';
import { expectStatus, startTestCallbin } from '../support/callbin.ts';
import type { TestCallbin } from '../support/callbin.ts';
import { RawSipPhone } from '../support/raw-sip-phone.ts';

const PASSWORD = 'Right-pass-1001';

/** Proxy-/WWW-Authenticate values without their nonce: what must be equal for known and unknown users. */
function offersWithoutNonce(res: { headers: { getAll(name: string): string[] } }): string[] {
  return [...res.headers.getAll('proxy-authenticate'), ...res.headers.getAll('www-authenticate')].map((o) =>
    o.replace(/nonce="[^"]*"/, 'nonce=…'),
  );
}

describe('SIP digest: one limiter for every method, no enumeration, no replay (on the wire)', {
  timeout: 120_000,
}, () => {
  let cb: TestCallbin;
  let username = '';
  let extensionId = '';
  const phones: RawSipPhone[] = [];
  const phone = async (address: string): Promise<RawSipPhone> => {
    const p = await RawSipPhone.open(address, cb.sipPort);
    phones.push(p);
    return p;
  };
  const stats = (): Record<string, number> => cb.handle.sip.stats();

  before(async () => {
    // A burst of 200 INVITEs is what this test sends: the admission by event-loop utilisation would
    // answer part of it 503 before any digest is looked at (docs/security.md "Overload"), which is
    // tested in overload.test.ts; here every INVITE must reach the digest limiter.
    cb = await startTestCallbin({ overloadUtilisation: 0 });
    const ext = expectStatus(await cb.api('POST', '/v1.0/extensions', { extension: '1001', password: PASSWORD }), 200);
    username = ext.username;
    extensionId = ext.id;
  });
  after(async () => {
    for (const p of phones) p.close();
    await cb?.close();
  });

  it('the password is write-only: not in the create answer, GET one, GET list; the row holds HA1 values only', async () => {
    const one = expectStatus(await cb.api('GET', `/v1.0/extensions/${extensionId}`), 200);
    const list = expectStatus(await cb.api('GET', '/v1.0/extensions'), 200);
    const created = expectStatus(
      await cb.api('POST', '/v1.0/extensions', { extension: '1002', password: 'Other-pass-1002' }),
      200,
    );
    for (const shown of [one, ...list.result, created]) {
      assert.equal(shown.password, undefined, 'no password field');
      assert.equal(shown.digest_ha1, undefined, 'no HA1 either');
      assert.ok(!JSON.stringify(shown).includes('pass-100'), 'the plaintext appears nowhere');
    }
    const row = await cb.store.extensions.get(extensionId);
    assert.equal(row?.password, '', 'no plaintext in the table');
    assert.ok(!JSON.stringify(row).includes(PASSWORD));
    assert.equal(row?.digest_ha1?.length, 3, 'platform realm + customer realm (username and extension name)');
  });

  it('INVITE: an unknown user gets the very challenge a known one gets, and the same 403 for a guess', async () => {
    const p = await phone('127.0.0.20');
    const known = (await p.send({ method: 'INVITE', user: username })).res;
    const unknown = (await p.send({ method: 'INVITE', user: '9999-000000000000' })).res;
    assert.equal(known.status, 407);
    assert.equal(unknown.status, 407, 'an unknown user is challenged too (it was 403 at once)');
    assert.deepEqual(offersWithoutNonce(unknown), offersWithoutNonce(known), 'same realm and algorithm list');
    const wrong = await p.authenticate({ method: 'INVITE', user: username, password: 'Wrong-pass-1' });
    const nobody = await p.authenticate({ method: 'INVITE', user: '9999-000000000000', password: 'Wrong-pass-1' });
    assert.equal(wrong.res.status, 403);
    assert.equal(nobody.res.status, 403);
    assert.equal(wrong.res.reason, nobody.res.reason);
  });

  it('a captured Authorization cannot be replayed: not from another address, not from the same one', async () => {
    const victim = await phone('127.0.0.30');
    const first = await victim.authenticate({
      method: 'REGISTER',
      user: username,
      password: PASSWORD,
      callId: 'replay-1',
    });
    assert.equal(first.res.status, 200);
    const elsewhere = await phone('127.0.0.31');
    const fromElsewhere = (
      await elsewhere.send({
        method: 'REGISTER',
        user: username,
        authorization: first.authorization,
        callId: 'replay-2',
      })
    ).res;
    assert.equal(fromElsewhere.status, 401, 'a nonce issued to another address is not accepted: fresh challenge');
    const again = (
      await victim.send({ method: 'REGISTER', user: username, authorization: first.authorization, callId: 'replay-3' })
    ).res;
    assert.equal(again.status, 401, 'the same (nonce, nc) twice: refused');
    assert.match(again.headers.getAll('www-authenticate')[0] ?? '', /stale=TRUE/);
    const registered = expectStatus(await cb.api('GET', `/v1.0/extensions/${extensionId}`), 200).registered as {
      source: string;
    }[];
    assert.deepEqual(
      registered.map((r) => r.source),
      [`udp:127.0.0.30:${victim.port}`],
      'only the real registration is bound',
    );
  });

  it('AC2: 200 wrong INVITE digests from 5 addresses: at most 20 checked; the phone at its own address still registers', async () => {
    const victim = await phone('127.0.0.7');
    assert.equal(
      (await victim.authenticate({ method: 'REGISTER', user: username, password: PASSWORD, callId: 'victim' })).res
        .status,
      200,
      'registered before the attack',
    );
    const before = stats();
    const attackers = await Promise.all([2, 3, 4, 5, 6].map((n) => phone(`127.0.0.${n}`)));
    const statuses = new Map<number, number>();
    await Promise.all(
      attackers.map(async (attacker, a) => {
        // One challenge per address; the nonce is reused with a rising nc, as a fast brute-forcer would.
        const { res: challenge, uri } = await attacker.send({ method: 'INVITE', user: username });
        assert.equal(challenge.status, 407);
        const offer = RawSipPhone.offer(challenge);
        for (let i = 0; i < 40; i++) {
          const authorization = digestAuthorization({
            challenge: offer,
            method: 'INVITE',
            uri,
            username,
            password: `Guess-${a}-${i}`,
            nc: i + 1,
          });
          const { res } = await attacker.send({ method: 'INVITE', user: username, authorization });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    const now = stats();
    assert.deepEqual([...statuses], [[403, 200]], 'every guess is refused alike');
    const evaluated = (now.digest_evaluated ?? NaN) - (before.digest_evaluated ?? NaN);
    const blocked = (now.digest_blocked ?? NaN) - (before.digest_blocked ?? NaN);
    assert.ok(evaluated <= 20, `at most 20 guesses checked in this minute, not ${evaluated}`);
    assert.equal(evaluated + blocked, 200, 'the rest were refused without a password check');
    const metrics = await (await fetch(`${cb.handle.apiUrl}/metrics`)).text();
    assert.match(metrics, /callbin_sip_digest_evaluated_total \d+/);
    assert.match(metrics, /callbin_sip_digest_total\{result="blocked"\} [1-9]/);

    const stranger = await phone('127.0.0.8');
    const locked = await stranger.authenticate({
      method: 'REGISTER',
      user: username,
      password: PASSWORD,
      callId: 'stranger',
    });
    assert.equal(
      locked.res.status,
      403,
      'a new address is refused while the account is locked, even with the right password',
    );
    const refreshed = await victim.authenticate({
      method: 'REGISTER',
      user: username,
      password: PASSWORD,
      callId: 'victim',
    });
    assert.equal(refreshed.res.status, 200, 'the phone at its own address gets in during the attack');
  });

  it('failures sent "from" the phone\'s address with nonces it was never given are not counted; its own failures lock only itself', async () => {
    // Spoofing is impossible on loopback, so the phone's own socket stands in for a spoofer: a blind
    // spoofer only holds nonces issued to its real address (here 127.0.0.41).
    const ext = expectStatus(await cb.api('POST', '/v1.0/extensions', { extension: '1003', password: PASSWORD }), 200);
    const user = ext.username as string;
    const home = await phone('127.0.0.40');
    assert.equal(
      (await home.authenticate({ method: 'REGISTER', user, password: PASSWORD, callId: 'home' })).res.status,
      200,
    );
    const spoofer = await phone('127.0.0.41');
    const { res: challenge, uri } = await spoofer.send({ method: 'REGISTER', user });
    const offer = RawSipPhone.offer(challenge);
    const before = stats();
    for (let i = 0; i < 25; i++) {
      const authorization = digestAuthorization({
        challenge: offer,
        method: 'REGISTER',
        uri,
        username: user,
        password: `Guess-${i}`,
        nc: i + 1,
      });
      assert.equal(
        (await home.send({ method: 'REGISTER', user, authorization })).res.status,
        401,
        'foreign nonce: challenged again',
      );
    }
    assert.equal(stats().digest_evaluated, before.digest_evaluated, 'no password was checked');
    assert.equal(
      (await home.authenticate({ method: 'REGISTER', user, password: PASSWORD, callId: 'home' })).res.status,
      200,
    );
    // The phone's own 25 wrong passwords spend its own budget, not the account's.
    for (let i = 0; i < 25; i++)
      await home.authenticate({ method: 'REGISTER', user, password: `Typo-${i}`, callId: 'home' });
    assert.equal(
      (await home.authenticate({ method: 'REGISTER', user, password: PASSWORD, callId: 'home' })).res.status,
      403,
      "the phone's address is over its budget",
    );
    const laptop = await phone('127.0.0.42');
    assert.equal(
      (await laptop.authenticate({ method: 'REGISTER', user, password: PASSWORD, callId: 'laptop' })).res.status,
      200,
      'the account is not locked for others',
    );
  });
});
