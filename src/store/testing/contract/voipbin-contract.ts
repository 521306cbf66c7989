import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Activeflow } from '../../../flows/index.ts';
import { NIL_UUID, newId } from '../../../shared/index.ts';
import { isoNow } from './contract-context.ts';
import type { ContractContext } from './contract-context.ts';
import { e164, newFlow } from './samples.ts';

/** VoIPBIN's timestamp form of a stored time: a space for the `T`, microseconds, no zone. */
function voipbinTimestamp(iso: string, micros = '000'): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}${micros}`;
}

function activeflowAt(ctx: ContractContext, customerId: string): Activeflow {
  const now = isoNow(ctx.clock);
  return {
    id: newId(),
    customer_id: customerId,
    flow_id: newId(),
    status: 'ended',
    reference_type: 'api',
    reference_id: NIL_UUID,
    current_action: { id: NIL_UUID, next_id: NIL_UUID, type: '', option: {} },
    executed_actions: [],
    variables: {},
    tm_create: now,
    tm_update: now,
  };
}

/** Migration 0014's columns and VoIPBIN's page tokens (docs/voipbin-compatibility.md). */
export function voipbinContract(ctx: ContractContext): void {
  it('voipbin fields: rows written without them read back with the defaults of migration 0014', async () => {
    const customer = await ctx.store.customers.create({
      name: 'plain',
      detail: '',
      email: '',
      webhook_method: 'POST',
      webhook_uri: '',
      webhook_secret: 's',
      webhook_event_types: [],
    });
    assert.equal(customer.phone_number, '');
    assert.equal(customer.address, '');
    assert.deepEqual(customer.metadata, {});
    const number = await ctx.store.numbers.create({
      customer_id: customer.id,
      number: e164(),
      call_flow_id: NIL_UUID,
      name: '',
      detail: '',
      status: 'active',
    });
    assert.equal(number.type, 'normal');
    assert.equal(number.message_flow_id, NIL_UUID);
    assert.deepEqual(number.metadata, {});
    const { on_complete_flow_id: _unset, ...flow } = newFlow(customer.id);
    assert.equal((await ctx.store.flows.create(flow)).on_complete_flow_id, NIL_UUID);
  });

  it('voipbin page tokens: a timestamp lists the rows created before it, on tables and documents alike', async () => {
    const customerId = newId();
    const flows = [];
    const activeflows: Activeflow[] = [];
    for (let i = 0; i < 3; i++) {
      flows.push(await ctx.store.flows.create(newFlow(customerId, `v${i}`)));
      const af = activeflowAt(ctx, customerId);
      await ctx.store.transaction((tx) => ctx.store.activeflows.upsert(tx, af));
      activeflows.push(af);
      ctx.clock.advance(10);
    }
    const middle = flows[1]!.tm_create;
    // Microseconds after the middle row's millisecond: it counts as before; exactly it: not.
    for (const [token, expected] of [
      [voipbinTimestamp(middle, '001'), 2],
      [voipbinTimestamp(middle), 1],
      [middle, 1],
      [middle.replace('Z', '+00:00'), 1],
    ] as const) {
      const page = await ctx.store.flows.list({ customerId, pageSize: 10, pageToken: token });
      assert.deepEqual(
        page.items.map((f) => f.name),
        ['v1', 'v0'].slice(2 - expected),
        token,
      );
      const docs = await ctx.store.activeflows.list({ customerId, pageSize: 10, pageToken: token });
      assert.deepEqual(
        docs.items.map((a) => a.id),
        [activeflows[1]!.id, activeflows[0]!.id].slice(2 - expected),
        token,
      );
    }
  });
}
