import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { addMute, removeMute } from './mute-direction.ts';

describe('mute arithmetic', () => {
  const add = {
    '': { in: 'in', out: 'out', both: 'both' },
    in: { in: 'in', out: 'both', both: 'both' },
    out: { in: 'both', out: 'out', both: 'both' },
    both: { in: 'both', out: 'both', both: 'both' },
  } as const;
  const remove = {
    '': { in: '', out: '', both: '' },
    in: { in: '', out: 'in', both: '' },
    out: { in: 'out', out: '', both: '' },
    both: { in: 'out', out: 'in', both: '' },
  } as const;
  for (const current of ['', 'in', 'out', 'both'] as const) {
    for (const d of ['in', 'out', 'both'] as const) {
      it(`"${current}" + ${d} = "${add[current][d]}"`, () => assert.equal(addMute(current, d), add[current][d]));
      it(`"${current}" - ${d} = "${remove[current][d]}"`, () =>
        assert.equal(removeMute(current, d), remove[current][d]));
    }
  }
});
