import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { envelopeBody, envelopeText } from './envelope.ts';

describe('webhook envelope', () => {
  it('built from the stored event text, it is byte for byte the envelope of the event', () => {
    const data = {
      id: 'c1',
      status: 'ringing',
      source: { target: '+1 "555"\\n', name: 'Zoë \u2028' },
      list: [1, 2.5, null, true],
      empty: {},
    };
    const event = {
      position: 7,
      event_id: '0190a2b4-0000-7000-8000-000000000001',
      customer_id: 'cust',
      resource_type: 'call',
      resource_id: 'c1',
      seq: 12,
      type: 'call_updated',
      tm_event: '2026-11-25T10:00:00.123Z',
      data,
    };
    const text = envelopeText({
      type: event.type,
      event_id: event.event_id,
      seq: event.seq,
      tm_event: event.tm_event,
      data: JSON.stringify(data),
    });
    assert.equal(text, envelopeBody(event));
    assert.deepEqual(JSON.parse(text), {
      type: 'call_updated',
      event_id: event.event_id,
      seq: 12,
      tm_event: event.tm_event,
      data,
    });
  });
});
