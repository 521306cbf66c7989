import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Accesskey } from '../../store/index.ts';
import { ValidationError } from '../../shared/index.ts';
import { ApiError } from '../errors.ts';
import type { ApiContext } from '../context.ts';
import { hashToken, newAccessKeyToken } from '../credentials.ts';
import { Detail, Name, Uuid } from '../schemas.ts';
import { pickDefined, registerCrud } from './crud.ts';

const KeyBody = Type.Object(
  {
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
    /** Lifetime in seconds; absent = never expires. */
    expire: Type.Optional(Type.Integer({ minimum: 60, maximum: 10 * 365 * 86400 })),
    /** Admin only: the customer the key acts for. */
    customer_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
const KeyUpdate = Type.Object(
  { name: Type.Optional(Name), detail: Type.Optional(Detail) },
  { additionalProperties: false },
);

function publicKey(k: Accesskey) {
  const { token_hash: _h, acting_customer_id: _a, tm_delete, tm_expire, ...rest } = k;
  return { ...rest, ...(tm_expire ? { tm_expire } : {}), ...(tm_delete ? { tm_delete } : {}) };
}

/**
 * `/accesskeys`: the token is returned once, at creation; only its hash is stored (an idempotent
 * replay returns the key with `token_redacted: true` instead). The project admin's keys are outside
 * every customer's scope, so they are not among any caller's keys.
 */
export function accesskeyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Plaintext tokens between creation and the creation response, keyed by their hash.
  const pending = new Map<string, string>();
  registerCrud<Accesskey>(app, ctx, {
    path: '/accesskeys',
    name: 'accesskey',
    tag: 'accesskeys',
    repo: ctx.store.accesskeys,
    createBody: KeyBody,
    updateBody: KeyUpdate,
    toPublic: publicKey,
    create: async (b, p) => {
      let customerId = p.customerId;
      if (b.customer_id !== undefined && b.customer_id !== p.customerId) {
        if (p.role !== 'admin')
          throw new ApiError('PERMISSION_DENIED', 'a customer key creates keys for its own customer only');
        if (!(await ctx.store.customers.get(b.customer_id as string))) {
          throw ValidationError.field(
            'customer_id',
            'CUSTOMER_NOT_FOUND',
            `customer ${String(b.customer_id)} not found`,
          );
        }
        customerId = b.customer_id as string;
      }
      const token = newAccessKeyToken();
      const expire = b.expire as number | undefined;
      const row = {
        customer_id: customerId,
        name: (b.name as string | undefined) ?? '',
        detail: (b.detail as string | undefined) ?? '',
        // Keys made through the API act for a customer; the project admin's key is made at first start.
        role: 'customer',
        token_hash: hashToken(token),
        token_prefix: token.slice(0, 7),
        ...(expire ? { tm_expire: new Date(ctx.clock.now() + expire * 1000).toISOString() } : {}),
      } as const;
      pending.set(row.token_hash, token);
      return row;
    },
    update: async (b) => pickDefined(b, ['name', 'detail'] as const) as Partial<Accesskey>,
    afterDelete: (k) => ctx.auth.forgetKey(k.id),
    detail: async (k) => {
      // The plaintext token is shown only in the response to the POST that created the key.
      const token = pending.get(k.token_hash);
      if (token === undefined) return {};
      pending.delete(k.token_hash);
      return { token };
    },
  });
}
