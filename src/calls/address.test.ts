import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { addressIssues, validateAddress } from './address.ts';

describe('address validation', () => {
  it('accepts E.164 and fills missing strings', () => {
    assert.deepEqual(validateAddress({ type: 'tel', target: '+16062067563' }, 'source'), {
      type: 'tel',
      target: '+16062067563',
      target_name: '',
      name: '',
      detail: '',
    });
  });
  for (const bad of ['16062067563', '+1 606 206 7563', '+1(606)2067563', '+1-606-206-7563', '+0123456789', '+123456']) {
    it(`rejects ${JSON.stringify(bad)} as INVALID_E164`, () => {
      assert.throws(() => validateAddress({ type: 'tel', target: bad }, 'destinations[0]'), {
        code: 'INVALID_E164',
        details: [
          {
            field: 'destinations[0].target',
            reason: 'INVALID_E164',
            message: `${JSON.stringify(bad)} is not E.164: it must be '+' followed by 7 to 15 digits with no spaces or punctuation`,
          },
        ],
      });
    });
  }
  it('checks extension names', () => {
    assert.equal(addressIssues({ type: 'extension', target: 'agent01' }, 'd').length, 0);
    assert.equal(addressIssues({ type: 'extension', target: 'agent-01' }, 'd')[0]?.reason, 'INVALID_EXTENSION');
  });
  it('takes an extension id as an extension target', () => {
    assert.equal(addressIssues({ type: 'extension', target: '5e4a0b3c-1d2e-4f60-8a9b-0c1d2e3f4a5b' }, 'd').length, 0);
    for (const bad of ['5e4a0b3c-1d2e-4f60-8a9b-0c1d2e3f4a5', '5e4a0b3c-1d2e-4f60-8a9b-0c1d2e3f4a5b-', '{5e4a0b3c}'])
      assert.equal(addressIssues({ type: 'extension', target: bad }, 'd')[0]?.reason, 'INVALID_EXTENSION', bad);
  });
  it('checks SIP addresses', () => {
    assert.equal(addressIssues({ type: 'sip', target: 'sip:alice@example.com:5060' }, 'd').length, 0);
    assert.equal(addressIssues({ type: 'sip', target: 'alice@example.com:99999' }, 'd')[0]?.reason, 'INVALID_SIP_URI');
  });
  it('rejects unknown fields, wrong types and unknown address types', () => {
    assert.deepEqual(
      addressIssues({ type: 'tel', target: 5 }, 'a').map((i) => i.field),
      ['a.target'],
    );
    assert.deepEqual(
      addressIssues({ type: 'fax', target: 'x' }, 'a').map((i) => i.field),
      ['a.type'],
    );
    assert.deepEqual(
      addressIssues({ type: 'tel', target: '+16062067563', phone: 1 }, 'a').map((i) => i.field),
      ['a.phone'],
    );
    assert.equal(addressIssues('x', 'a')[0]?.reason, 'INVALID_ADDRESS');
  });
});
