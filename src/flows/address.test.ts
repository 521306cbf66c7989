import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError } from '../shared/index.ts';
import { E164_RE, EXTENSION_RE, validateAddress } from './address.ts';

function reasonOf(value: unknown): string {
  try {
    validateAddress(value, 'destination');
  } catch (err) {
    assert.ok(err instanceof ValidationError);
    return err.code;
  }
  return 'OK';
}

describe('validateAddress', () => {
  it('returns the address with missing strings set to ""', () => {
    assert.deepEqual(validateAddress({ type: 'tel', target: '+16062067563' }, 'source'), {
      type: 'tel',
      target: '+16062067563',
      target_name: '',
      name: '',
      detail: '',
    });
  });

  it('checks the target against its type', () => {
    assert.equal(reasonOf({ type: 'tel', target: '+1 606 206' }), 'INVALID_E164');
    assert.equal(reasonOf({ type: 'tel', target: '+0123456789' }), 'INVALID_E164');
    assert.equal(reasonOf({ type: 'extension', target: 'front desk' }), 'INVALID_EXTENSION');
    assert.equal(reasonOf({ type: 'extension', target: 'a'.repeat(33) }), 'INVALID_EXTENSION');
    assert.equal(reasonOf({ type: 'sip', target: 'example.com' }), 'INVALID_SIP_URI');
    assert.equal(reasonOf({ type: 'sip', target: 'bob@example.com:70000' }), 'INVALID_SIP_URI');
    for (const target of [
      'bob@example.com',
      'sip:bob@10.0.0.1:5060',
      'sips:alice@example.org;transport=tls',
      'sip:carol@[2001:db8::1]:5080',
    ]) {
      assert.equal(reasonOf({ type: 'sip', target }), 'OK', target);
    }
  });

  it('refuses unknown keys, unknown types and non-strings with INVALID_ADDRESS', () => {
    assert.equal(reasonOf({ type: 'tel', target: '+16062067563', number: 1 }), 'INVALID_ADDRESS');
    assert.equal(reasonOf({ type: 'fax', target: '+16062067563' }), 'INVALID_ADDRESS');
    assert.equal(reasonOf({ type: 'tel', target: 16062067563 }), 'INVALID_ADDRESS');
    assert.equal(reasonOf('+16062067563'), 'INVALID_ADDRESS');
  });

  it('names the field and the value in the message', () => {
    try {
      validateAddress({ type: 'tel', target: '+1 (606) 206-7563' }, 'destinations[0]');
      assert.fail('expected a ValidationError');
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      assert.equal(err.details[0]?.field, 'destinations[0].target');
      assert.match(err.message, /^destinations\[0\]\.target: "\+1 \(606\) 206-7563" is not E\.164/);
    }
  });

  it('exports the E.164 and extension patterns of the API spec', () => {
    assert.ok(E164_RE.test('+821012345678'));
    assert.ok(!E164_RE.test('+123456'));
    assert.ok(EXTENSION_RE.test('Reception1'));
    assert.ok(!EXTENSION_RE.test('ab-12'));
  });
});
