import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConflictError, newId } from '../shared/index.ts';
import { CUSTOMER, EngineHarness } from './testing/engine-harness.ts';

describe('FlowEngine: VoIPBIN activeflow fields (docs/voipbin-compatibility.md)', () => {
  test('an API activeflow takes the id the client chose and keeps webhook_method; a live id is refused', async () => {
    const h = new EngineHarness();
    const id = newId();
    const request = {
      customer_id: CUSTOMER,
      id,
      actions: [{ type: 'sleep', option: { duration: 60_000 } }],
      webhook_uri: 'https://example.com/hook',
      webhook_method: 'PUT',
    };
    const af = await h.engine.startForApi(request);
    assert.equal(af.id, id);
    assert.equal(af.variables['voipbin.activeflow.id'], id);
    assert.equal(af.webhook_method, 'PUT');
    assert.equal((await h.engine.get(id))?.webhook_method, 'PUT');
    await assert.rejects(
      h.engine.startForApi(request),
      (e: unknown) => e instanceof ConflictError && e.code === 'ALREADY_EXISTS',
    );
    await h.engine.stop(id);
  });
});
