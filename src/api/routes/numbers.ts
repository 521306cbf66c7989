import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NIL_UUID } from '../../shared/index.ts';
import type { PhoneNumber } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { Detail, E164, Name, UuidOrEmpty, VoipbinMetadataBody, metadataFromBody, publicMetadata } from '../schemas.ts';
import { pickDefined, registerCrud, registerCrudUpdate, type CrudSpec } from './crud.ts';
import { checkRef } from './refs.ts';

/** VoIPBIN's number types; callbin routes both alike (docs/voipbin-compatibility.md "Numbers"). */
const NumberType = Type.Union([Type.Literal('normal'), Type.Literal('virtual')]);
const FlowIds = {
  call_flow_id: Type.Optional(UuidOrEmpty),
  message_flow_id: Type.Optional(UuidOrEmpty),
};
const NumberBody = Type.Object(
  {
    number: E164,
    type: Type.Optional(NumberType),
    ...FlowIds,
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
  },
  { additionalProperties: false },
);
const NumberUpdate = Type.Object(
  {
    ...FlowIds,
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  },
  { additionalProperties: false },
);
/** `PUT /numbers/{id}/flow_ids`: VoIPBIN's form for the two flows alone. */
const FlowIdsUpdate = Type.Object(FlowIds, { additionalProperties: false });

/** A number with VoIPBIN's fields: `type`, `message_flow_id`, `metadata`, purchase and renewal times. */
function publicNumber(n: PhoneNumber) {
  const { tm_delete, ...rest } = n;
  return {
    ...rest,
    type: n.type ?? 'normal',
    message_flow_id: n.message_flow_id ?? NIL_UUID,
    metadata: publicMetadata(n.metadata),
    t38_enabled: false,
    emergency_enabled: false,
    // A number is callbin's from the moment it is added and is never renewed.
    tm_purchase: n.tm_create,
    tm_renew: '',
    ...(tm_delete ? { tm_delete } : {}),
  };
}

/** `''` and the nil UUID both mean "no flow". */
function flowIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return value === '' ? NIL_UUID : value;
}

/** `/numbers`: E.164 numbers, unique platform-wide, bound to a flow for incoming calls. */
export function numberRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const flowOf = (customerId: string) => (id: string) => ctx.store.flows.get(id, { customerId });
  const checkFlows = async (b: Record<string, unknown>, customerId: string) => {
    await checkRef('call_flow_id', 'FLOW_NOT_FOUND', 'flow', flowIdOf(b.call_flow_id), flowOf(customerId));
    await checkRef('message_flow_id', 'FLOW_NOT_FOUND', 'flow', flowIdOf(b.message_flow_id), flowOf(customerId));
  };
  const flowPatch = (b: Record<string, unknown>): Partial<PhoneNumber> => ({
    ...(flowIdOf(b.call_flow_id) !== undefined ? { call_flow_id: flowIdOf(b.call_flow_id) as string } : {}),
    ...(flowIdOf(b.message_flow_id) !== undefined ? { message_flow_id: flowIdOf(b.message_flow_id) as string } : {}),
  });
  const spec: CrudSpec<PhoneNumber> = {
    path: '/numbers',
    name: 'number',
    tag: 'numbers',
    repo: ctx.store.numbers,
    createBody: NumberBody,
    updateBody: NumberUpdate,
    listFilters: ['status'],
    toPublic: publicNumber,
    create: async (b, p) => {
      await checkFlows(b, p.customerId);
      return {
        customer_id: p.customerId,
        number: b.number as string,
        type: (b.type as string | undefined) ?? 'normal',
        call_flow_id: flowIdOf(b.call_flow_id) ?? NIL_UUID,
        message_flow_id: flowIdOf(b.message_flow_id) ?? NIL_UUID,
        name: (b.name as string | undefined) ?? '',
        detail: (b.detail as string | undefined) ?? '',
        status: 'active',
        metadata: {},
      };
    },
    update: async (b, _row, p) => {
      await checkFlows(b, p.customerId);
      return { ...(pickDefined(b, ['name', 'detail', 'status'] as const) as Partial<PhoneNumber>), ...flowPatch(b) };
    },
  };
  registerCrud<PhoneNumber>(app, ctx, spec);
  registerCrudUpdate(app, spec, 'flow_ids', FlowIdsUpdate, async (b, _row, p) => {
    await checkFlows(b, p.customerId);
    return flowPatch(b);
  });
  // VoIPBIN's flags of the number, stored and echoed; the body replaces them all.
  registerCrudUpdate(app, spec, 'metadata', VoipbinMetadataBody, async (b) => ({ metadata: metadataFromBody(b) }));
}
