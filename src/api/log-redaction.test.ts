import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactLogFields, redactText } from './log-redaction.ts';

const KEY = 'vb_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';

describe('log redaction', () => {
  it('masks credentials in URLs and messages, keeping the rest', () => {
    assert.equal(
      redactText(`/v1.0/calls?accesskey=${KEY}&page_size=5`),
      '/v1.0/calls?accesskey=[REDACTED]&page_size=5',
    );
    assert.equal(redactText(`/v1.0/calls?page_size=5&token=${JWT}`), '/v1.0/calls?page_size=5&token=[REDACTED]');
    assert.equal(redactText('https://hooks.example/x?sig=abc&id=1'), 'https://hooks.example/x?sig=[REDACTED]&id=1');
    assert.equal(redactText(`Authorization: Bearer ${KEY}`), 'Authorization: Bearer [REDACTED]');
    assert.equal(redactText(`the key ${KEY} failed`), 'the key vb_[REDACTED] failed');
    assert.equal(redactText(`jwt ${JWT} expired`), 'jwt [REDACTED] expired');
    assert.equal(redactText('http://user:pa55@example.com/a'), 'http://[REDACTED]@example.com/a');
    assert.equal(redactText('call 1234 ended'), 'call 1234 ended');
  });

  it('masks headers and secret fields at any depth, in errors and their causes, and survives cycles', () => {
    const cause = new Error(`connect failed for http://x/?token=${KEY}`);
    const err = Object.assign(new Error('outer', { cause }), { url: `/a?accesskey=${KEY}` });
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    const out = redactLogFields({
      req: { headers: { Authorization: `Bearer ${KEY}`, cookie: `accesskey=${KEY}`, host: 'h' } },
      password: 'p4ss',
      err,
      cyclic,
      list: [`?accesskey=${KEY}`],
    });
    const text = JSON.stringify(out);
    assert.ok(!text.includes(KEY), text);
    assert.ok(!text.includes('p4ss'), text);
    assert.match(text, /"host":"h"/);
    assert.match(text, /"message":"outer"/);
    assert.match(text, /"type":"Error"/);
  });
});
