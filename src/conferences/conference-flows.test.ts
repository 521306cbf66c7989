import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock, NIL_UUID, newId } from '../shared/index.ts';
import { ConferenceService } from './conference-service.ts';
import { FakeConferenceCalls, FakeConferenceMedia, MemoryConferenceStore } from './testing/fake-ports.ts';

describe('ConferenceService.flowsOf', () => {
  it("gives the pre/post flows of the customer's progressing conference, nothing for a foreign or ended one", async () => {
    const service = new ConferenceService({
      store: new MemoryConferenceStore(),
      media: new FakeConferenceMedia(),
      calls: new FakeConferenceCalls(),
      clock: new FakeClock(),
    });
    const customerId = newId();
    const pre = newId();
    const c = await service.create({ customer_id: customerId, pre_flow_id: pre });
    assert.deepEqual(await service.flowsOf(customerId, c.id), { pre_flow_id: pre, post_flow_id: NIL_UUID });
    assert.equal(await service.flowsOf(newId(), c.id), undefined, 'another customer');
    await service.terminate(c.id);
    assert.equal(await service.flowsOf(customerId, c.id), undefined, 'ended');
    assert.equal(await service.flowsOf(customerId, newId()), undefined, 'missing');
  });
});
