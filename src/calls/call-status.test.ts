import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { Logger } from '../shared/index.ts';
import { newCall } from './call.ts';
import type { CallDirection } from './call.ts';
import { canTransition, transition } from './call-status.ts';
import { CALL_STATUSES } from './call-status-types.ts';
import type { CallStatus } from './call-status-types.ts';
import { address } from './testing/fake-ports.ts';

// docs/calls.md "Status machine", written out independently of the table under test: O = outgoing only.
const EXPECTED = `
from\\to      dialing ringing progressing terminating canceling hangup
dialing       -       Y       Y           Y           O         Y
ringing       -       -       Y           Y           O         Y
progressing   -       -       -           Y           -         Y
terminating   -       -       -           -           -         Y
canceling     -       -       -           -           -         Y
hangup        -       -       -           -           -         -
`;

function expectedMatrix(): Map<string, string> {
  const lines = EXPECTED.trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));
  const header = lines[0]?.slice(1) ?? [];
  const out = new Map<string, string>();
  for (const row of lines.slice(1))
    for (const [i, to] of header.entries()) out.set(`${row[0]}>${to}`, row[i + 1] ?? '?');
  return out;
}

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (_o, msg) => lines.push(msg ?? ''),
    error: () => {},
    child: () => logger,
  };
  return { logger, lines };
}

function callIn(status: CallStatus, direction: CallDirection) {
  const call = newCall(
    {
      id: '3f2a91c0-0000-4000-8000-000000000000',
      customer_id: 'c',
      type: 'flow',
      direction,
      source: address('tel', '+15550001111'),
      destination: address('tel', '+15550002222'),
      status: 'dialing',
    },
    0,
  );
  return { ...call, status };
}

describe('call status machine', () => {
  const matrix = expectedMatrix();
  for (const direction of ['outgoing', 'incoming'] as const) {
    for (const from of CALL_STATUSES) {
      for (const to of CALL_STATUSES) {
        const cell = matrix.get(`${from}>${to}`);
        const allowed = cell === 'Y' || (cell === 'O' && direction === 'outgoing');
        it(`${direction}: ${from} -> ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
          assert.equal(canTransition(from, to, direction), allowed);
          const { logger, lines } = recordingLogger();
          const hangup = to === 'hangup' ? ({ hangup_by: 'local', hangup_reason: 'normal' } as const) : undefined;
          const next = transition(callIn(from, direction), to, { nowMs: 5_000, logger, ...(hangup ? { hangup } : {}) });
          if (allowed) {
            assert.equal(next?.status, to);
            assert.equal(lines.length, 0);
          } else {
            assert.equal(next, undefined);
            assert.deepEqual(lines, [`call 3f2a91c0…: ${from} -> ${to} refused`]);
          }
        });
      }
    }
  }

  it('stamps tm_ringing, tm_progressing, tm_hangup on entry and tm_update on every move', () => {
    const { logger } = recordingLogger();
    const c0 = callIn('dialing', 'outgoing');
    assert.equal(c0.tm_ringing, undefined);
    const c1 = transition(c0, 'ringing', { nowMs: 1_000, logger });
    assert.equal(c1?.tm_ringing, '1970-01-01T00:00:01.000Z');
    assert.equal(c1?.tm_update, '1970-01-01T00:00:01.000Z');
    const c2 = c1 && transition(c1, 'progressing', { nowMs: 2_000, logger });
    assert.equal(c2?.tm_progressing, '1970-01-01T00:00:02.000Z');
    assert.equal(c2?.tm_hangup, undefined);
    const c3 = c2 && transition(c2, 'terminating', { nowMs: 3_000, logger });
    assert.equal(c3?.tm_update, '1970-01-01T00:00:03.000Z');
    const c4 =
      c3 && transition(c3, 'hangup', { nowMs: 4_000, logger, hangup: { hangup_by: 'local', hangup_reason: 'normal' } });
    assert.equal(c4?.tm_hangup, '1970-01-01T00:00:04.000Z');
    assert.equal(c4?.hangup_by, 'local');
    assert.equal(c4?.hangup_reason, 'normal');
    assert.equal(c4?.tm_ringing, '1970-01-01T00:00:01.000Z');
  });

  it('refuses a move to hangup without its outcome, so hangup_by/reason are set together with tm_hangup', () => {
    const { logger } = recordingLogger();
    assert.throws(() => transition(callIn('progressing', 'outgoing'), 'hangup', { nowMs: 1, logger }), {
      code: 'INTERNAL',
    });
  });

  it('an incoming call created ringing has tm_ringing = tm_create', () => {
    const call = newCall(
      {
        id: 'x',
        customer_id: 'c',
        type: 'flow',
        direction: 'incoming',
        source: address('tel', '+15550001111'),
        destination: address('tel', '+15550002222'),
        status: 'ringing',
      },
      7_000,
    );
    assert.equal(call.tm_ringing, call.tm_create);
  });
});
