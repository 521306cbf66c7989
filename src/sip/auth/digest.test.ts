import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../shared/index.ts';
import { DigestChallenger, digestAuthorization, digestResponse, parseDigestParams } from './index.ts';

test('RFC 2617 §3.5 known answer (MD5, qop=auth)', () => {
  const response = digestResponse({
    algorithm: 'MD5',
    username: 'Mufasa',
    realm: 'testrealm@host.com',
    password: 'Circle Of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
    qop: 'auth',
    nc: '00000001',
    cnonce: '0a4f113b',
  });
  assert.equal(response, '6629fae49393a05397450978507c4ef1');
});

const RFC7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  qop: 'auth',
  nc: '00000001',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};

test('RFC 7616 §3.9.1 known answers (SHA-256 and MD5)', () => {
  assert.equal(
    digestResponse({ ...RFC7616, algorithm: 'SHA-256' }),
    '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  );
  assert.equal(digestResponse({ ...RFC7616, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
});

test('digestAuthorization answers the RFC 7616 challenge with the named algorithm', () => {
  const challenge =
    'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, ' +
    'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"';
  const value = digestAuthorization({
    challenge,
    method: 'GET',
    uri: '/dir/index.html',
    username: 'Mufasa',
    password: 'Circle of Life',
    cnonce: RFC7616.cnonce,
    nc: 1,
  });
  const p = parseDigestParams(value)?.params;
  assert.equal(p?.get('response'), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  assert.equal(p?.get('algorithm'), 'SHA-256');
  assert.equal(p?.get('nc'), '00000001');
  assert.equal(p?.get('opaque'), 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS');
  assert.throws(() =>
    digestAuthorization({ challenge: 'Basic realm="x"', method: 'GET', uri: '/', username: 'a', password: 'b' }),
  );
});

function setup(): { clock: FakeClock; server: DigestChallenger } {
  const clock = new FakeClock();
  return { clock, server: new DigestChallenger({ secret: Buffer.from('test-secret'), clock, nonceTtlMs: 60_000 }) };
}

test('DigestChallenger: SHA-256 first, then MD5; a correct answer to either verifies', () => {
  const { server } = setup();
  const challenges = server.challenge('callbin.test');
  assert.equal(challenges.length, 2);
  assert.match(challenges[0] ?? '', /algorithm=SHA-256/);
  assert.match(challenges[1] ?? '', /algorithm=MD5/);
  for (const challenge of challenges) {
    const header = digestAuthorization({
      challenge,
      method: 'INVITE',
      uri: 'sip:bob@callbin.test',
      username: 'alice',
      password: 's3cret',
    });
    const creds = server.parseAuthorization(header);
    assert.ok(creds);
    assert.equal(server.verify(creds, { method: 'INVITE', password: 's3cret', realm: 'callbin.test' }), 'ok');
    assert.equal(server.verify(creds, { method: 'INVITE', password: 'wrong', realm: 'callbin.test' }), 'invalid');
    assert.equal(server.verify(creds, { method: 'BYE', password: 's3cret', realm: 'callbin.test' }), 'invalid');
  }
});

test('DigestChallenger: a tampered response is invalid; a forged nonce, other opaque or realm is foreign', () => {
  const { server } = setup();
  const [challenge] = server.challenge('callbin.test', { algorithms: ['MD5'] });
  const header = digestAuthorization({
    challenge: challenge ?? '',
    method: 'REGISTER',
    uri: 'sip:callbin.test',
    username: 'alice',
    password: 'pw',
  });
  const creds = server.parseAuthorization(header);
  assert.ok(creds);
  const expected = { method: 'REGISTER', password: 'pw', realm: 'callbin.test' };
  const flipped = creds.response.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  assert.equal(server.verify({ ...creds, response: flipped }, expected), 'invalid');
  // Not ours: no password is checked, the client is challenged again.
  assert.equal(
    server.verify({ ...creds, nonce: `${creds.nonce.split('.').slice(0, 2).join('.')}.forged` }, expected),
    'foreign',
  );
  assert.equal(server.verify({ ...creds, opaque: 'other' }, expected), 'foreign');
  assert.equal(server.verify(creds, { ...expected, realm: 'other.test' }), 'foreign');
  const otherServer = new DigestChallenger({ secret: Buffer.from('another'), clock: new FakeClock() });
  assert.equal(otherServer.verify(creds, expected), 'foreign');
});

test('DigestChallenger: an expired nonce with the right password is stale; stale=TRUE on request', () => {
  const { clock, server } = setup();
  const [challenge] = server.challenge('callbin.test');
  const header = digestAuthorization({
    challenge: challenge ?? '',
    method: 'INVITE',
    uri: 'sip:b@callbin.test',
    username: 'alice',
    password: 'pw',
  });
  const creds = server.parseAuthorization(header);
  assert.ok(creds);
  clock.advance(61_000);
  assert.equal(server.verify(creds, { method: 'INVITE', password: 'pw', realm: 'callbin.test' }), 'stale');
  assert.equal(server.verify(creds, { method: 'INVITE', password: 'bad', realm: 'callbin.test' }), 'invalid');
  assert.match(server.challenge('callbin.test', { stale: true })[0] ?? '', /stale=TRUE/);
});

test('DigestChallenger: RFC 2069 clients without qop, and unquoted params in any order', () => {
  const { server } = setup();
  const [challenge] = server.challenge('callbin.test', { algorithms: ['MD5'] });
  const nonce = parseDigestParams(challenge ?? '')?.params.get('nonce') ?? '';
  const response = digestResponse({
    algorithm: 'MD5',
    username: 'bob',
    realm: 'callbin.test',
    password: 'pw',
    method: 'OPTIONS',
    uri: 'sip:callbin.test',
    nonce,
  });
  const header = `Digest response="${response}",uri="sip:callbin.test" , nonce="${nonce}",realm="callbin.test",username=bob`;
  const creds = server.parseAuthorization(header);
  assert.ok(creds);
  assert.equal(creds.algorithm, 'MD5');
  assert.equal(server.verify(creds, { method: 'OPTIONS', password: 'pw', realm: 'callbin.test' }), 'ok');
  assert.equal(server.parseAuthorization('Basic dXNlcjpwdw=='), undefined);
  assert.equal(server.parseAuthorization('Digest username="x"'), undefined);
  assert.equal(
    server.parseAuthorization('Digest username="x", realm="r", nonce="n", uri="u", response="r", algorithm=SHA-512'),
    undefined,
  );
});
