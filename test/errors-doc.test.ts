import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERRORS, ERROR_GROUPS } from '../src/shared/error-catalogue.ts';
import { ERRORS_DOC_URL, renderErrorsDoc } from '../scripts/errors-doc.ts';

// docs/errors.md is generated from the error catalogue: a change to either side without
// `npm run docs:errors` fails here.
describe('error catalogue: docs/errors.md', () => {
  it('is what the catalogue generates', () => {
    assert.equal(
      readFileSync(ERRORS_DOC_URL, 'utf8'),
      renderErrorsDoc(),
      'docs/errors.md is stale: run npm run docs:errors',
    );
  });

  it('lists every code once, in exactly one group', () => {
    const grouped = Object.values(ERROR_GROUPS).flatMap((group) => Object.keys(group));
    assert.equal(new Set(grouped).size, grouped.length, 'a code is in two groups');
    assert.deepEqual([...grouped].sort(), Object.keys(ERRORS).sort());
  });

  it('gives every code one sentence', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      assert.match(code, /^[A-Z][A-Z0-9_]+$/, code);
      assert.match(spec.message, /^[^\n]+\.$/, `${code}: a message is one sentence`);
    }
  });
});
