import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clonePlain } from './clone.ts';

describe('clonePlain', () => {
  it('copies nested plain objects and arrays deeply, keeping key order and undefined values', () => {
    const source = { a: 1, b: 'x', c: [1, { d: [true, null] }], e: { f: { g: 'h' } }, u: undefined };
    const copy = clonePlain(source);
    assert.deepEqual(copy, source);
    assert.deepEqual(Object.keys(copy), Object.keys(source));
    assert.ok('u' in copy);
    assert.notEqual(copy.c, source.c);
    assert.notEqual(copy.c[1], source.c[1]);
    assert.notEqual(copy.e.f, source.e.f);
    (copy.e.f as { g: string }).g = 'changed';
    assert.equal(source.e.f.g, 'h');
  });

  it('hands non-plain objects to structuredClone (a Date stays a Date, a Map a Map), primitives pass through', () => {
    const when = new Date(0);
    const copy = clonePlain({ when, m: new Map([['k', 1]]) });
    assert.ok(copy.when instanceof Date);
    assert.notEqual(copy.when, when);
    assert.equal(copy.when.getTime(), 0);
    assert.deepEqual([...copy.m], [['k', 1]]);
    assert.equal(clonePlain('s'), 's');
    assert.equal(clonePlain(null), null);
  });
});
