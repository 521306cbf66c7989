import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  getCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeMessage,
  SipParseError,
  validateRequest,
} from './index.ts';
import type { SipMessage, SipRequest, SipResponse } from './index.ts';

// RFC 4475 §3.1 torture messages, transcribed into test/fixtures/sip/torture/ with CRLF line ends
// and the RFC's <hex> octets written as the real bytes.
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/sip/torture/', import.meta.url));

function load(name: string): Buffer {
  return readFileSync(`${FIXTURES}${name}.sip`);
}

function request(msg: SipMessage): SipRequest {
  assert.equal(msg.kind, 'request');
  return msg as SipRequest;
}

function startLine(msg: SipMessage): string {
  return msg.kind === 'request' ? `${msg.method} ${msg.uri}` : `${msg.status} ${msg.reason}`;
}

function assertRoundTrip(msg: SipMessage): void {
  const again = parseMessage(serializeMessage(msg));
  assert.equal(startLine(again), startLine(msg));
  const strip = (m: SipMessage): [string, string][] =>
    [...m.headers.entries()].filter(([n]) => !/^(content-length|l)$/i.test(n));
  assert.deepEqual(strip(again), strip(msg));
  assert.deepEqual(again.body, msg.body);
}

const VALID = [
  'wsinv',
  'intmeth',
  'esc01',
  'escnull',
  'esc02',
  'lwsdisp',
  'longreq',
  'dblreq',
  'semiuri',
  'transports',
  'mpart01',
  'unreason',
  'noreason',
];

for (const name of VALID) {
  test(`RFC 4475 valid ${name}: parses, validates and round-trips`, () => {
    const msg = parseMessage(load(`valid/${name}`));
    if (msg.kind === 'request') assert.equal(validateRequest(msg), undefined);
    assertRoundTrip(msg);
  });
}

test('RFC 4475 §3.1.1.1 wsinv: folding, compact forms, whitespace and unknown headers', () => {
  const msg = request(parseMessage(load('valid/wsinv')));
  assert.equal(msg.method, 'INVITE');
  assert.equal(parseUri(msg.uri).params.get('unknownparam'), null);
  const vias = msg.headers.getAll('via').map(parseVia);
  assert.deepEqual(
    vias.map((v) => [v.transport, v.host, v.params.get('branch')]),
    [
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  const to = parseNameAddr(msg.headers.get('to') ?? '');
  assert.equal(to.params.get('tag'), '1918181833n');
  assert.equal(parseNameAddr(msg.headers.get('from') ?? '').displayName, 'J Rosenberg \\"');
  const contact = parseNameAddr(msg.headers.get('contact') ?? '');
  assert.equal(contact.displayName, 'Quoted string ""');
  assert.deepEqual(
    [...contact.params],
    [
      ['newparam', 'newvalue'],
      ['secondparam', null],
      ['q', '0.33'],
    ],
  );
  assert.deepEqual(getCSeq(msg), { seq: 9, method: 'INVITE' });
  assert.equal(msg.headers.get('max-forwards'), '0068');
  assert.equal(msg.headers.get('subject'), '');
  assert.equal(msg.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  assert.equal(msg.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  assert.equal(msg.body.length, 150);
});

test('RFC 4475 §3.1.1.2 intmeth: token characters, quoted control bytes and UTF-8', () => {
  const msg = request(parseMessage(load('valid/intmeth')));
  assert.equal(msg.method, "!interesting-Method0123456789_*+`.%indeed'~");
  const uri = parseUri(msg.uri);
  assert.equal(uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert.equal(uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert.equal(parseNameAddr(msg.headers.get('to') ?? '').displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  const from = parseNameAddr(msg.headers.get('from') ?? '');
  assert.equal(from.displayName, "token1~` token2'+_ token3*%!.-");
  assert.equal(from.params.get("fromparam''~+*_!.-%"), '"работающий"');
  assert.equal(msg.headers.get("extensionHeader-!.%*+_`'~"), '\ufeff大停電');
  assert.equal(msg.headers.get('call-id'), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
});

test('RFC 4475 §3.1.1.3-5 escapes: user parts unescape, % elsewhere is literal', () => {
  const esc01 = request(parseMessage(load('valid/esc01')));
  assert.equal(parseUri(esc01.uri).user, 'sips:user@example.com');
  assert.equal(parseNameAddr(esc01.headers.get('to') ?? '').uri.user, 'user');
  assert.equal(parseNameAddr(esc01.headers.get('from') ?? '').uri.user, 'I have spaces');
  const escnull = request(parseMessage(load('valid/escnull')));
  assert.equal(parseNameAddr(escnull.headers.get('to') ?? '').uri.user, 'null-\x00-null');
  assert.deepEqual(
    escnull.headers.getAll('contact').map((c) => parseNameAddr(c).uri.user),
    ['\x00', '\x00\x00'],
  );
  const esc02 = request(parseMessage(load('valid/esc02')));
  assert.equal(esc02.method, 'RE%47IST%45R');
  assert.equal(parseNameAddr(esc02.headers.get('to') ?? '').displayName, '%Z%45');
  assert.equal(esc02.headers.getAll('contact').length, 2);
  assert.equal(esc02.headers.get('C%6Fntact'), '<sip:alias2@host2.example.com>');
});

test('RFC 4475 §3.1.1.6-10: display name without LWS, long values, extra datagram octets, ;user, transports', () => {
  assert.equal(parseNameAddr(parseMessage(load('valid/lwsdisp')).headers.get('from') ?? '').displayName, 'caller');
  const longreq = parseMessage(load('valid/longreq'));
  assert.equal(longreq.headers.getAll('via').length, 34);
  assert.equal(parseNameAddr(longreq.headers.get('to') ?? '').uri.port, 6000);
  const dblreq = request(parseMessage(load('valid/dblreq')));
  assert.equal(dblreq.method, 'REGISTER');
  assert.equal(dblreq.body.length, 0);
  const semiuri = request(parseMessage(load('valid/semiuri')));
  assert.equal(parseUri(semiuri.uri).user, 'user;par=u@example.net');
  assert.equal(semiuri.headers.getAll('accept').length, 6);
  const transports = parseMessage(load('valid/transports'));
  assert.deepEqual(
    transports.headers.getAll('via').map((v) => parseVia(v).transport),
    ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP'],
  );
});

test('RFC 4475 §3.1.1.11-13: binary multipart body, UTF-8 and empty reason phrases', () => {
  const mpart = parseMessage(load('valid/mpart01'));
  assert.equal(mpart.body.length, 553);
  assert.ok(mpart.body.includes(0));
  const unreason = parseMessage(load('valid/unreason')) as SipResponse;
  assert.equal(unreason.status, 200);
  assert.equal(unreason.reason, '= 2**3 * 5**2 но сто девяносто девять - простое');
  const noreason = parseMessage(load('valid/noreason')) as SipResponse;
  assert.equal(noreason.status, 100);
  assert.equal(noreason.reason, '');
});

/** How each RFC 4475 §3.1.2 message is recognised: thrown by parseMessage, or reported by validateRequest. */
const INVALID: Record<string, { throws: number } | { validate: RegExp }> = {
  badinv01: { validate: /^Via/ }, // empty Via parameters and elements
  clerr: { throws: 400 }, // Content-Length longer than the datagram
  ncl: { throws: 400 }, // negative Content-Length
  scalar02: { throws: 400 }, // CSeq >= 2^31
  scalarlg: { throws: 400 }, // response CSeq >= 2^31 (dropped, never answered)
  quotbal: { validate: /^to/ }, // unterminated quoted display name
  ltgtruri: { throws: 400 }, // Request-URI in <>
  lwsruri: { throws: 400 }, // LWS inside the Request-URI
  lwsstart: { throws: 400 }, // several SP between request-line elements
  trws: { throws: 400 }, // SP after the SIP-Version
  escruri: { validate: /^Request-URI/ }, // headers in the Request-URI
  baddate: { validate: /^Date/ }, // time zone EST
  regbadct: { validate: /^contact/ }, // addr-spec with '?' outside <>
  badaspec: { validate: /^to/ }, // spaces inside <>
  baddn: { validate: /^from/ }, // unquoted display name with ','
  badvers: { throws: 505 }, // SIP/7.0
  mismatch01: { throws: 400 }, // CSeq method differs from the request method
  mismatch02: { throws: 400 }, // unknown method, CSeq method differs
  bigcode: { throws: 400 }, // status code beyond 699
};

for (const [name, expected] of Object.entries(INVALID)) {
  test(`RFC 4475 invalid ${name}: recognised as invalid without a crash`, () => {
    const buf = load(`invalid/${name}`);
    if ('throws' in expected) {
      assert.throws(
        () => parseMessage(buf),
        (err: unknown) => {
          assert.ok(err instanceof SipParseError, `expected SipParseError, got ${String(err)}`);
          assert.equal(err.code, 'SIP_PARSE');
          assert.equal(err.status, expected.throws);
          return true;
        },
      );
    } else {
      const problem = validateRequest(request(parseMessage(buf)));
      assert.match(problem ?? '', expected.validate);
    }
  });
}

test('RFC 4475: a request that fails after its headers were read carries them for the 400', () => {
  try {
    parseMessage(load('invalid/mismatch01'));
    assert.fail('expected a SipParseError');
  } catch (err) {
    assert.ok(err instanceof SipParseError);
    assert.equal(err.partial?.method, 'OPTIONS');
    assert.equal(err.partial?.headers.get('call-id'), 'mismatch01.dj0234sxdfl3');
  }
});
