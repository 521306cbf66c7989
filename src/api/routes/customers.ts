import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Customer } from '../../store/index.ts';
import { principalOf, type ApiContext } from '../context.ts';
import { notFound } from '../errors.ts';
import {
  Detail,
  E164OrEmpty,
  HttpUrlOrEmpty,
  MohUrlOrEmpty,
  Name,
  PostalAddress,
  VoipbinMetadataBody,
  WebhookMethod,
  metadataFromBody,
  publicMetadata,
} from '../schemas.ts';
import { CredentialQuery } from '../pagination.ts';
import { pickDefined, registerCrud } from './crud.ts';
import { customerFreezeRoutes } from './customer-freeze.ts';

const Settings = {
  name: Type.Optional(Name),
  detail: Type.Optional(Detail),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  // Stored and echoed (docs/voipbin-compatibility.md "Customers").
  phone_number: Type.Optional(E164OrEmpty),
  address: Type.Optional(PostalAddress),
  webhook_method: Type.Optional(WebhookMethod),
  webhook_uri: Type.Optional(HttpUrlOrEmpty),
  webhook_event_types: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z_]{1,64}$' }), { maxItems: 100 })),
  // docs/calls.md "Music on hold": what the customer's held calls hear ('' = the built-in music).
  moh_url: Type.Optional(MohUrlOrEmpty),
};
const CustomerBody = Type.Object(Settings, { additionalProperties: false });
const SelfUpdate = Type.Object(
  { ...Settings, webhook_secret_rotate: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const FIELDS = [
  'name',
  'detail',
  'email',
  'phone_number',
  'address',
  'webhook_method',
  'webhook_uri',
  'webhook_event_types',
  'moh_url',
] as const;

function newWebhookSecret(): string {
  return 'whsec_' + randomBytes(24).toString('base64url');
}

/** A customer as the admin sees it: without the webhook secret; VoIPBIN's fields always present. */
export function publicCustomer(c: Customer, withSecret = false) {
  const { webhook_secret, tm_delete, ...rest } = c;
  return {
    ...rest,
    phone_number: c.phone_number ?? '',
    address: c.address ?? '',
    metadata: publicMetadata(c.metadata),
    moh_url: c.moh_url ?? '',
    // VoIPBIN's account state (docs/api.md "Freezing a customer"): `tm_deletion_scheduled` is null unless frozen.
    status: c.status ?? 'active',
    tm_deletion_scheduled: c.status === 'frozen' && c.tm_deletion_scheduled ? c.tm_deletion_scheduled : null,
    ...(withSecret ? { webhook_secret } : {}),
    ...(tm_delete ? { tm_delete } : {}),
  };
}

/** `/customers` (project admin) and `/customer` (the caller's own customer). */
export function customerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCrud<Customer>(app, ctx, {
    path: '/customers',
    name: 'customer',
    tag: 'customers',
    repo: ctx.store.customers,
    adminOnly: true,
    createBody: CustomerBody,
    updateBody: CustomerBody,
    toPublic: (c) => publicCustomer(c),
    create: async (b) => ({
      name: (b.name as string | undefined) ?? '',
      detail: (b.detail as string | undefined) ?? '',
      email: (b.email as string | undefined) ?? '',
      phone_number: (b.phone_number as string | undefined) ?? '',
      address: (b.address as string | undefined) ?? '',
      metadata: {},
      webhook_method: (b.webhook_method as string | undefined) || 'POST',
      webhook_uri: (b.webhook_uri as string | undefined) ?? '',
      webhook_secret: newWebhookSecret(),
      webhook_event_types: (b.webhook_event_types as string[] | undefined) ?? [],
      moh_url: (b.moh_url as string | undefined) ?? '',
    }),
    update: async (b) => pickDefined(b, FIELDS) as Partial<Customer>,
    // The store deleted what the customer owned in the same transaction (numbers, extensions and
    // their SIP bindings, keys, users, flows); the running calls and activeflows end here.
    afterDelete: (c) => {
      ctx.auth.forgetAll();
      ctx.onCustomerDeleted?.(c.id);
    },
  });

  customerFreezeRoutes(app, ctx, (c) => publicCustomer(c));

  app.get('/customer', { schema: { tags: ['customer'], querystring: CredentialQuery } }, async (req) => {
    const p = principalOf(req);
    const c = await ctx.store.customers.get(p.customerId);
    if (!c) throw notFound('customer', p.customerId);
    return publicCustomer(c, true);
  });

  app.put(
    '/customer',
    { schema: { tags: ['customer'], body: SelfUpdate, querystring: CredentialQuery } },
    async (req) => {
      const p = principalOf(req);
      const b = req.body as Record<string, unknown>;
      const patch: Partial<Customer> = pickDefined(b, FIELDS) as Partial<Customer>;
      if (b.webhook_secret_rotate === true) patch.webhook_secret = newWebhookSecret();
      const c = await ctx.store.customers.update(p.customerId, patch);
      if (!c) throw notFound('customer', p.customerId);
      return publicCustomer(c, true);
    },
  );

  // VoIPBIN's flags of the caller's customer: the body replaces them all (docs/voipbin-compatibility.md).
  app.put(
    '/customer/metadata',
    { schema: { tags: ['customer'], body: VoipbinMetadataBody, querystring: CredentialQuery } },
    async (req) => {
      const p = principalOf(req);
      const metadata = metadataFromBody(req.body as Record<string, unknown>);
      const c = await ctx.store.customers.update(p.customerId, { metadata });
      if (!c) throw notFound('customer', p.customerId);
      return publicCustomer(c, true);
    },
  );
}

export { newWebhookSecret };
