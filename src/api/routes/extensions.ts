import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { isoNow } from '../../shared/index.ts';
import { extensionDigestHa1 } from '../../store/index.ts';
import type { Extension } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { Detail, ExtensionName, Name, SipPassword } from '../schemas.ts';
import { pickDefined, registerCrud } from './crud.ts';
import { newDirectHash } from './direct-hash-store.ts';

const ExtensionBody = Type.Object(
  {
    extension: ExtensionName,
    password: SipPassword,
    name: Type.Optional(Name),
    detail: Type.Optional(Detail),
  },
  { additionalProperties: false },
);
const ExtensionUpdate = Type.Object(
  { password: Type.Optional(SipPassword), name: Type.Optional(Name), detail: Type.Optional(Detail) },
  { additionalProperties: false },
);

/** The customer's SIP domain (docs/media.md: `<customer id>.<CALLBIN_SIP_DOMAIN>`). */
export function domainName(customerId: string, sipDomain: string): string {
  return `${customerId}.${sipDomain}`;
}

/** The platform-unique digest username of an extension: its name and the customer's id prefix. */
export function digestUsername(extension: string, customerId: string): string {
  return `${extension}-${customerId.replace(/-/g, '').slice(0, 12)}`;
}

// The password is write-only: kept as digest HA1 values, never returned (like a provider's auth_password).
// `direct_hash`: `sip:direct.<hash>@<customer domain>` rings it (docs/api.md "Direct addresses").
export function publicExtension(e: Extension) {
  const { tm_delete, password: _password, digest_ha1: _ha1, ...rest } = e;
  return { ...rest, direct_hash: e.direct_hash ?? '', ...(tm_delete ? { tm_delete } : {}) };
}

/** `/extensions`: SIP accounts phones register with; GET one shows its registered contacts. */
export function extensionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCrud<Extension>(app, ctx, {
    path: '/extensions',
    name: 'extension',
    tag: 'extensions',
    repo: ctx.store.extensions,
    createBody: ExtensionBody,
    updateBody: ExtensionUpdate,
    toPublic: publicExtension,
    create: async (b, p) => {
      const identity = {
        customer_id: p.customerId,
        extension: b.extension as string,
        username: digestUsername(b.extension as string, p.customerId),
        domain_name: domainName(p.customerId, ctx.sipDomain),
      };
      return {
        ...identity,
        password: '',
        digest_ha1: extensionDigestHa1(identity, b.password as string),
        name: (b.name as string | undefined) ?? '',
        detail: (b.detail as string | undefined) ?? '',
        direct_hash: newDirectHash(),
      };
    },
    update: async (b, current) => {
      const patch = pickDefined(b, ['name', 'detail'] as const) as Partial<Extension>;
      if (typeof b.password === 'string')
        Object.assign(patch, { password: '', digest_ha1: extensionDigestHa1(current, b.password) });
      return patch;
    },
    detail: async (e) => {
      const bindings = await ctx.store.registrations.listForExtension(e.id, isoNow(ctx.clock));
      return {
        registered: bindings.map((r) => ({
          contact: r.contact,
          transport: r.transport,
          source: r.source,
          user_agent: r.user_agent,
          tm_expire: r.tm_expire,
        })),
      };
    },
  });
}
