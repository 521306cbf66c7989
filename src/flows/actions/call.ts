import { Type } from 'typebox';
import { NIL_UUID } from '../../shared/index.ts';
import { AddressSchema } from '../address.ts';
import { defineAction } from './action-definition.ts';
import type { OptionIssue } from './action-definition.ts';
import { Anonymous, resourceId } from './option-fields.ts';
import type { FlowSource } from '../../calls/index.ts';
import { fullAddress } from '../../calls/index.ts';
import { defaultSource } from './dial-address.ts';

/** `call`: start independent outgoing calls running their own flow, then move on at once. */
export const callAction = defineAction({
  type: 'call',
  schema: Type.Object(
    {
      source: Type.Optional(AddressSchema),
      destinations: Type.Array(AddressSchema, { minItems: 1, maxItems: 100 }),
      flow_id: Type.Optional(resourceId('stored flow the new calls run')),
      actions: Type.Optional(
        Type.Array(Type.Object({}, { additionalProperties: true }), {
          maxItems: 1000,
          description: 'inline actions the new calls run',
          'x-check': 'actions',
        }),
      ),
      chained: Type.Optional(Type.Boolean({ description: 'chain the new calls to this call' })),
      early_execution: Type.Optional(Type.Boolean({ description: 'start the flow before the callee answers' })),
      anonymous: Type.Optional(Anonymous),
    },
    { additionalProperties: false },
  ),
  needs: 'none',
  refine(option): OptionIssue[] {
    const hasFlow = option.flow_id !== undefined && option.flow_id !== NIL_UUID;
    const hasActions = option.actions !== undefined && option.actions.length > 0;
    if (hasFlow && hasActions) return [{ path: 'actions', message: 'give either flow_id or actions, not both' }];
    if (!hasFlow && !hasActions) return [{ path: 'flow_id', message: 'is required unless actions are given' }];
    return [];
  },
  async run(ctx, option) {
    const flow: FlowSource =
      option.flow_id !== undefined && option.flow_id !== NIL_UUID
        ? { flow_id: option.flow_id }
        : { actions: option.actions ?? [] };
    const chained = option.chained === true && ctx.callId !== undefined;
    await ctx.calls.dial({
      customer_id: ctx.customerId,
      source: await defaultSource(ctx, option.source, 'own'),
      destinations: option.destinations.map(fullAddress),
      flow,
      ...(chained && ctx.callId !== undefined ? { master_call_id: ctx.callId } : {}),
      ...(option.early_execution !== undefined ? { early_execution: option.early_execution } : {}),
      ...(option.anonymous === 'yes' ? { anonymous: true } : {}),
    });
    return undefined;
  },
});
