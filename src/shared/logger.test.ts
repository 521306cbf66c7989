import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lazyChild } from './logger.ts';
import type { Logger } from './logger.ts';

describe('lazyChild', () => {
  it('creates the child logger on the first log line only, once, and forwards every line to it', () => {
    const lines: unknown[][] = [];
    let children = 0;
    const child: Logger = {
      debug: (...a) => void lines.push(['debug', ...a]),
      info: (...a) => void lines.push(['info', ...a]),
      warn: (...a) => void lines.push(['warn', ...a]),
      error: (...a) => void lines.push(['error', ...a]),
      child: () => child,
    };
    const parent: Logger = {
      ...child,
      child: (bindings) => (children++, assert.deepEqual(bindings, { run: 1 }), child),
    };
    const lazy = lazyChild(parent, { run: 1 });
    assert.equal(children, 0, 'nothing logged yet, no child built');
    lazy.warn({ code: 'X' }, 'first');
    lazy.info('plain');
    assert.equal(children, 1);
    assert.deepEqual(lines, [
      ['warn', { code: 'X' }, 'first'],
      ['info', 'plain'],
    ]);
  });
});
