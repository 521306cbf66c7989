import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../shared/index.ts';
import { incomingLegLogger } from './leg-logger.ts';

/** A logger that records each line with the bindings of the child that wrote it, and counts children. */
function recorder(): { root: Logger; lines: Record<string, unknown>[]; children: () => number } {
  const lines: Record<string, unknown>[] = [];
  let children = 0;
  const make = (bindings: Record<string, unknown>): Logger => {
    const write = (obj: object | string, msg?: string): void =>
      void lines.push({ ...bindings, ...(typeof obj === 'string' ? { msg: obj } : { ...obj, msg }) });
    return {
      debug: write,
      info: write,
      warn: write,
      error: write,
      child: (more) => (children++, make({ ...bindings, ...more })),
    };
  };
  return { root: make({}), lines, children: () => children };
}

describe('incomingLegLogger', () => {
  it('writes leg_id before the call exists, call_id and leg_id after, building the child with both once', () => {
    const { root, lines, children } = recorder();
    let callId = '';
    const log = incomingLegLogger(root, 'leg-1', () => callId);
    assert.equal(children(), 0, 'nothing logged, no child');
    log.warn({ err: 'x' }, 'offer refused');
    callId = 'call-1';
    log.info('re-INVITE');
    log.debug({ n: 1 }, 'again');
    assert.deepEqual(lines, [
      { leg_id: 'leg-1', err: 'x', msg: 'offer refused' },
      { call_id: 'call-1', leg_id: 'leg-1', msg: 're-INVITE' },
      { call_id: 'call-1', leg_id: 'leg-1', n: 1, msg: 'again' },
    ]);
    assert.equal(children(), 2, 'one child before the call, one after');
  });
});
