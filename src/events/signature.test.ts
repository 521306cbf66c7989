import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { WebhookSigningKey, signWebhook, verifyWebhook } from './signature.ts';

const secret = 'whsec_test';
const body = '{"type":"call_updated","event_id":"e1","seq":1,"tm_event":"2026-01-01T00:00:00.000Z","data":{}}';

describe('webhook signatures', () => {
  it('sha256 is HMAC-SHA256(secret, body) in hex (RFC 4231-style known vector)', () => {
    const h = signWebhook('key', 'The quick brown fox jumps over the lazy dog', 1_700_000_000);
    assert.equal(h['X-VoIPBIN-Signature'], 'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    assert.equal(h['X-Callbin-Timestamp'], '1700000000');
    const v1 = createHmac('sha256', 'key')
      .update('1700000000.The quick brown fox jumps over the lazy dog')
      .digest('hex');
    assert.equal(h['X-Callbin-Signature'], `v1=${v1}`);
  });

  it('a signed body verifies with v1 regardless of header case', () => {
    const headers = Object.fromEntries(
      Object.entries(signWebhook(secret, body, 1000)).map(([k, v]) => [k.toLowerCase(), v]),
    );
    assert.deepEqual(verifyWebhook({ secret, body, headers, nowSec: 1010 }), { ok: true, scheme: 'v1' });
  });

  it('a changed body, a wrong secret or a stale timestamp is refused', () => {
    const headers = signWebhook(secret, body, 1000);
    assert.deepEqual(verifyWebhook({ secret, body: body.replace('1', '2'), headers, nowSec: 1000 }), {
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    assert.deepEqual(verifyWebhook({ secret: 'other', body, headers, nowSec: 1000 }), {
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    assert.deepEqual(verifyWebhook({ secret, body, headers, nowSec: 1301 }), {
      ok: false,
      reason: 'TIMESTAMP_OUT_OF_TOLERANCE',
    });
    assert.deepEqual(verifyWebhook({ secret, body, headers, nowSec: 1301, toleranceSec: 600 }), {
      ok: true,
      scheme: 'v1',
    });
    const replayed = { ...headers, 'X-Callbin-Timestamp': '1200' };
    assert.deepEqual(verifyWebhook({ secret, body, headers: replayed, nowSec: 1200 }), {
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    assert.deepEqual(
      verifyWebhook({ secret, body, headers: { ...headers, 'X-Callbin-Timestamp': 'x' }, nowSec: 1000 }),
      { ok: false, reason: 'MALFORMED_TIMESTAMP' },
    );
  });

  it('without the v1 header the VoIPBIN sha256 signature is checked; no header at all is MISSING_SIGNATURE', () => {
    const { 'X-VoIPBIN-Signature': sha } = signWebhook(secret, body, 1000);
    assert.deepEqual(verifyWebhook({ secret, body, headers: { 'x-voipbin-signature': sha } }), {
      ok: true,
      scheme: 'sha256',
    });
    assert.deepEqual(verifyWebhook({ secret, body: `${body} `, headers: { 'x-voipbin-signature': sha } }), {
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
    assert.deepEqual(verifyWebhook({ secret, body, headers: {} }), { ok: false, reason: 'MISSING_SIGNATURE' });
  });

  it('one of several v1 signatures matching is enough (secret rotation)', () => {
    const h = signWebhook(secret, body, 1000);
    const headers = { ...h, 'X-Callbin-Signature': `v1=${'0'.repeat(64)}, ${h['X-Callbin-Signature']}` };
    assert.equal(verifyWebhook({ secret, body, headers, nowSec: 1000 }).ok, true);
  });

  it('WebhookSigningKey gives the same signatures as createHmac, for short, block-sized, long and non-ASCII secrets', () => {
    const bodies = ['', 'x', body, `{"note":"naïve – ünïcödé ${'y'.repeat(3000)}"}`];
    for (const secret of ['', 'k', 'a'.repeat(63), 'b'.repeat(64), 'c'.repeat(65), 'é'.repeat(40), 'whsec_test']) {
      const key = new WebhookSigningKey(secret);
      for (const text of bodies) {
        const [voipbinName, sha, tsName, ts, callbinName, v1] = key.headers(Buffer.from(text, 'utf8'), 1_700_000_000.9);
        assert.deepEqual(
          { [voipbinName as string]: sha, [tsName as string]: ts, [callbinName as string]: v1 },
          signWebhook(secret, text, 1_700_000_000),
          `secret of ${secret.length} characters, body of ${text.length}`,
        );
      }
    }
  });
});
