import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { NIL_UUID, silentLogger } from '../shared/index.ts';
import type { Logger } from '../shared/index.ts';
import { GROUPCALL_STATUSES, newGroupcall } from './groupcall.ts';
import type { Groupcall } from './groupcall.ts';
import { callAnswered, callEnded, dialFailed, dialed, hangupAsked } from './groupcall-machine.ts';
import { GROUPCALL_STATUS_TRANSITIONS, canMoveGroupcall, moveGroupcall } from './groupcall-status.ts';
import { address } from './testing/fake-ports.ts';

const ctx = { nowMs: Date.parse('2026-03-01T10:00:00.000Z'), logger: silentLogger };
const DESTS = [address('sip', 'a@example.net'), address('sip', 'b@example.net'), address('sip', 'c@example.net')];

function groupcall(fields: Partial<Groupcall> = {}): Groupcall {
  const gc = newGroupcall(
    {
      id: 'g0000000-0000-4000-8000-000000000001',
      customer_id: 'c0000000-0000-4000-8000-000000000001',
      flow_id: NIL_UUID,
      source: address('tel', '+15550001111'),
      destinations: DESTS,
      ring_method: 'ring_all',
      answer_method: 'hangup_others',
    },
    ctx.nowMs - 1000,
  );
  return { ...gc, ...fields };
}

/** A logger that keeps its warn lines. */
function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (_obj: unknown, msg?: string) => void warnings.push(String(msg)) };
  return { logger: logger as Logger, warnings };
}

describe('groupcall status machine', () => {
  it('only moves forward and hangup is final', () => {
    for (const from of GROUPCALL_STATUSES) {
      for (const to of GROUPCALL_STATUS_TRANSITIONS[from]) {
        assert.ok(GROUPCALL_STATUSES.indexOf(to) > GROUPCALL_STATUSES.indexOf(from), `${from} -> ${to} goes forward`);
      }
    }
    assert.deepEqual(GROUPCALL_STATUS_TRANSITIONS.hangup, []);
    assert.equal(canMoveGroupcall('progressing', 'hangingup'), true);
    assert.equal(canMoveGroupcall('hangup', 'progressing'), false);
  });

  it('a refused move is logged by name and changes nothing', () => {
    const { logger, warnings } = recordingLogger();
    const over = groupcall({ status: 'hangup' });
    assert.equal(moveGroupcall(over, 'hangingup', { nowMs: ctx.nowMs, logger }), undefined);
    assert.match(warnings[0] ?? '', /hangup -> hangingup refused/);
    const moved = moveGroupcall(groupcall(), 'hangingup', ctx);
    assert.equal(moved?.status, 'hangingup');
    assert.equal(moved?.tm_update, '2026-03-01T10:00:00.000Z');
  });
});

describe('groupcall inputs', () => {
  it('dialled calls are recorded with their count and the destination index', () => {
    const step = dialed(groupcall({ ring_method: 'linear' }), 2, ['x'], ctx);
    assert.deepEqual(step.next?.call_ids, ['x']);
    assert.equal(step.next?.call_count, 1);
    assert.equal(step.next?.dial_index, 2);
    assert.deepEqual(step.events, []);
  });

  it('the first answer records answer_call_id and hangs up the other live calls (hangup_others)', () => {
    const gc = groupcall({ call_ids: ['a', 'b', 'c'], call_count: 3 });
    const step = callAnswered(gc, 'b', new Set(['a', 'b', 'c']), ctx);
    assert.equal(step.next?.answer_call_id, 'b');
    assert.deepEqual(step.events, ['groupcall_progressing']);
    assert.deepEqual(step.hangup, ['a', 'c']);
  });

  it('with answer_method "" the others keep ringing; a second answer changes nothing', () => {
    const gc = groupcall({ call_ids: ['a', 'b'], call_count: 2, answer_method: '' });
    const first = callAnswered(gc, 'a', new Set(['a', 'b']), ctx);
    assert.deepEqual(first.hangup, []);
    assert.ok(first.next);
    const second = callAnswered(first.next, 'b', new Set(['a', 'b']), ctx);
    assert.equal(second.next, undefined);
    assert.deepEqual(second.hangup, []);
  });

  it('a call answering after the winner, or while the groupcall hangs up, is hung up itself', () => {
    const won = groupcall({ call_ids: ['a', 'b'], answer_call_id: 'a' });
    assert.deepEqual(callAnswered(won, 'b', new Set(['a', 'b']), ctx).hangup, ['b']);
    const ending = groupcall({ call_ids: ['a', 'b'], status: 'hangingup' });
    const step = callAnswered(ending, 'b', new Set(['a', 'b']), ctx);
    assert.deepEqual(step.hangup, ['b']);
    assert.equal(step.next, undefined, 'no answer is recorded while hanging up');
  });

  it('a call of another groupcall is ignored', () => {
    const gc = groupcall({ call_ids: ['a'] });
    assert.equal(callAnswered(gc, 'zz', new Set(['a']), ctx).next, undefined);
    assert.equal(callEnded(gc, 'zz', new Set(['a']), ctx).next, undefined);
  });

  it('ring_all ends with its last call, answered or not', () => {
    const gc = groupcall({ call_ids: ['a', 'b'], call_count: 2 });
    const one = callEnded(gc, 'a', new Set(['b']), ctx);
    assert.equal(one.next?.call_count, 1);
    assert.deepEqual(one.events, []);
    assert.ok(one.next);
    const last = callEnded(one.next, 'b', new Set(), ctx);
    assert.equal(last.next?.status, 'hangup');
    assert.equal(last.next?.call_count, 0);
    assert.deepEqual(last.events, ['groupcall_hangup']);
    assert.equal(last.dial, undefined);
  });

  it('linear dials the next destination when a call ends unanswered, and ends after the last', () => {
    const gc = groupcall({ ring_method: 'linear', call_ids: ['a'], call_count: 1, dial_index: 0 });
    const next = callEnded(gc, 'a', new Set(), ctx);
    assert.equal(next.dial, 1);
    assert.equal(next.next?.status, 'progressing');
    const lastOne = groupcall({ ring_method: 'linear', call_ids: ['a', 'b', 'c'], call_count: 1, dial_index: 2 });
    const over = callEnded(lastOne, 'c', new Set(), ctx);
    assert.equal(over.dial, undefined);
    assert.equal(over.next?.status, 'hangup');
  });

  it('linear stops dialling once a call answered, or once a hangup was asked', () => {
    const answered = groupcall({ ring_method: 'linear', call_ids: ['a'], answer_call_id: 'a', call_count: 1 });
    assert.equal(callEnded(answered, 'a', new Set(), ctx).next?.status, 'hangup');
    const asked = groupcall({ ring_method: 'linear', call_ids: ['a'], status: 'hangingup', call_count: 1 });
    const step = callEnded(asked, 'a', new Set(), ctx);
    assert.equal(step.next?.status, 'hangup');
    assert.equal(step.dial, undefined);
  });

  it('a destination that cannot be dialled counts as one that ended unanswered', () => {
    const gc = groupcall({ ring_method: 'linear', call_ids: ['a'], dial_index: 0 });
    assert.equal(dialFailed(gc, 1, ctx).dial, 2);
    assert.equal(dialFailed(gc, 2, ctx).next?.status, 'hangup');
  });

  it('a hangup asked hangs up every live call through hangingup; with none live it ends at once', () => {
    const gc = groupcall({ call_ids: ['a', 'b'], call_count: 2 });
    const step = hangupAsked(gc, new Set(['a', 'b']), ctx);
    assert.equal(step.next?.status, 'hangingup');
    assert.deepEqual(step.hangup, ['a', 'b']);
    assert.deepEqual(step.events, []);
    assert.equal(hangupAsked(groupcall(), new Set(), ctx).next?.status, 'hangup');
    assert.equal(hangupAsked(groupcall({ status: 'hangingup' }), new Set(['a']), ctx).next, undefined);
  });
});
