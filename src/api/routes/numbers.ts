import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NIL_UUID } from '../../shared/index.ts';
import type { PhoneNumber } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { Detail, E164, Name, Uuid } from '../schemas.ts';
import { pickDefined, registerCrud } from './crud.ts';
import { checkRef } from './refs.ts';

const NumberBody = Type.Object(
  {
    number: E164,
    call_flow_id: Type.Optional(Uuid),
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
  },
  { additionalProperties: false },
);
const NumberUpdate = Type.Object(
  {
    call_flow_id: Type.Optional(Uuid),
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
  },
  { additionalProperties: false },
);

function publicNumber(n: PhoneNumber) {
  const { tm_delete, ...rest } = n;
  return { ...rest, ...(tm_delete ? { tm_delete } : {}) };
}

/** `/numbers`: E.164 numbers, unique platform-wide, bound to a flow for incoming calls. */
export function numberRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const flowOf = (customerId: string) => (id: string) => ctx.store.flows.get(id, { customerId });
  registerCrud<PhoneNumber>(app, ctx, {
    path: '/numbers',
    name: 'number',
    tag: 'numbers',
    repo: ctx.store.numbers,
    createBody: NumberBody,
    updateBody: NumberUpdate,
    listFilters: ['status'],
    toPublic: publicNumber,
    create: async (b, p) => {
      await checkRef('call_flow_id', 'FLOW_NOT_FOUND', 'flow', b.call_flow_id, flowOf(p.customerId));
      return {
        customer_id: p.customerId,
        number: b.number as string,
        call_flow_id: (b.call_flow_id as string | undefined) ?? NIL_UUID,
        name: (b.name as string | undefined) ?? '',
        detail: (b.detail as string | undefined) ?? '',
        status: 'active',
      };
    },
    update: async (b, _row, p) => {
      await checkRef('call_flow_id', 'FLOW_NOT_FOUND', 'flow', b.call_flow_id, flowOf(p.customerId));
      return pickDefined(b, ['call_flow_id', 'name', 'detail', 'status'] as const) as Partial<PhoneNumber>;
    },
  });
}
