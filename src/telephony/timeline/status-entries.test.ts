import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventHub } from '../../events/index.ts';
import { NIL_UUID } from '../../shared/index.ts';
import type { OutboxEvent } from '../../store/index.ts';
import type { NewTimelineEntry, TimelineRecorder } from '../../timeline/index.ts';
import { recordConferenceStatus } from './status-entries.ts';

const CUSTOMER = '11111111-1111-4111-8111-111111111111';
const CONFERENCE = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const CC = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
const CALL = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';

/** Keeps what is recorded and which ids were ended. */
class Kept implements TimelineRecorder {
  readonly enabled = true;
  readonly entries: NewTimelineEntry[] = [];
  readonly ended: string[] = [];
  record(entry: NewTimelineEntry): void {
    this.entries.push(entry);
  }
  end(id: string): void {
    this.ended.push(id);
  }
}

let position = 0;
function event(resourceType: string, resourceId: string, type: string, data: Record<string, unknown>): OutboxEvent {
  position++;
  return {
    position,
    event_id: `e${position}`,
    customer_id: CUSTOMER,
    resource_type: resourceType,
    resource_id: resourceId,
    seq: position,
    type,
    tm_event: `2026-03-01T12:00:00.${String(position).padStart(3, '0')}Z`,
    data,
  };
}

describe('conference status entries', () => {
  it('records each status change of a conference and of its conferencecalls, once, from committed events', () => {
    const hub = new EventHub();
    const kept = new Kept();
    recordConferenceStatus(hub, kept);
    hub.eventCommitted(event('conference', CONFERENCE, 'conference_created', { status: 'progressing' }));
    hub.eventCommitted(event('conference', CONFERENCE, 'conference_updated', { status: 'progressing' }));
    hub.eventCommitted(
      event('conferencecall', CC, 'conferencecall_joined', {
        status: 'joined',
        conference_id: CONFERENCE,
        reference_type: 'call',
        reference_id: CALL,
      }),
    );
    hub.eventCommitted(event('call', CALL, 'call_updated', { status: 'progressing' }));
    hub.eventCommitted(event('conference', CONFERENCE, 'conference_terminated', { status: 'terminated' }));
    assert.deepEqual(
      kept.entries.map((e) => [e.summary, e.call_id, e.conference_id, e.data?.from, e.data?.to, e.atMs]),
      [
        [
          'conference created → progressing',
          NIL_UUID,
          CONFERENCE,
          '',
          'progressing',
          Date.parse('2026-03-01T12:00:00.001Z'),
        ],
        ['conferencecall created → joined', CALL, CONFERENCE, '', 'joined', Date.parse('2026-03-01T12:00:00.003Z')],
        [
          'conference progressing → terminated',
          NIL_UUID,
          CONFERENCE,
          'progressing',
          'terminated',
          Date.parse('2026-03-01T12:00:00.005Z'),
        ],
      ],
    );
    assert.ok(kept.entries.every((e) => e.kind === 'status'));
    assert.deepEqual(kept.ended, [CONFERENCE], 'a terminated conference is ended in the recorder');
  });
});
