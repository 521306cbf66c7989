import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryLogIds } from './delivery-log-ids.ts';

describe('deliveryLogIds', () => {
  it("names the event's resource by its id field, and the call a resource belongs to", () => {
    const d = { id: 'd1', resource_type: 'call', resource_id: 'c1' };
    assert.deepEqual(deliveryLogIds(d), { delivery_id: 'd1', call_id: 'c1' });
    const af = { id: 'd2', resource_type: 'activeflow', resource_id: 'a1' };
    const ofCall = { data: JSON.stringify({ id: 'a1', reference_type: 'call', reference_id: 'c2' }) };
    assert.deepEqual(deliveryLogIds(af, ofCall), { delivery_id: 'd2', activeflow_id: 'a1', call_id: 'c2' });
    const ofApi = { data: JSON.stringify({ id: 'a1', reference_type: 'api', reference_id: 'x' }) };
    assert.deepEqual(deliveryLogIds(af, ofApi), { delivery_id: 'd2', activeflow_id: 'a1' });
    const rec = { id: 'd3', resource_type: 'recording', resource_id: 'r1' };
    assert.deepEqual(deliveryLogIds(rec, { data: 'not json' }), { delivery_id: 'd3', recording_id: 'r1' });
    assert.deepEqual(deliveryLogIds({ id: 'd4', resource_type: 'customer', resource_id: 'u1' }), { delivery_id: 'd4' });
  });
});
