import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Extension } from '../../store/index.ts';
import { nowIso, type ApiContext } from '../context.ts';
import { Detail, ExtensionName, Name, SipPassword } from '../schemas.ts';
import { pickDefined, registerCrud } from './crud.ts';

const ExtensionBody = Type.Object({
  extension: ExtensionName,
  password: SipPassword,
  name: Type.Optional(Name),
  detail: Type.Optional(Detail),
}, { additionalProperties: false });
const ExtensionUpdate = Type.Object({ password: Type.Optional(SipPassword), name: Type.Optional(Name), detail: Type.Optional(Detail) }, { additionalProperties: false });

/** The customer's SIP domain (media.md: `<customer id>.<CALLBIN_SIP_DOMAIN>`). */
export function domainName(customerId: string, sipDomain: string): string {
  return `${customerId}.${sipDomain}`;
}

/** The platform-unique digest username of an extension: its name and the customer's id prefix. */
export function digestUsername(extension: string, customerId: string): string {
  return `${extension}-${customerId.replace(/-/g, '').slice(0, 12)}`;
}

function publicExtension(e: Extension) {
  const { tm_delete, ...rest } = e;
  return { ...rest, ...(tm_delete ? { tm_delete } : {}) };
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
    create: async (b, p) => ({
      customer_id: p.customerId,
      extension: b.extension as string,
      password: b.password as string,
      username: digestUsername(b.extension as string, p.customerId),
      domain_name: domainName(p.customerId, ctx.sipDomain),
      name: (b.name as string | undefined) ?? '',
      detail: (b.detail as string | undefined) ?? '',
    }),
    update: async (b) => pickDefined(b, ['password', 'name', 'detail'] as const) as Partial<Extension>,
    detail: async (e) => {
      const bindings = await ctx.store.registrations.listForExtension(e.id, nowIso(ctx.clock));
      return {
        registered: bindings.map((r) => ({ contact: r.contact, transport: r.transport, source: r.source, user_agent: r.user_agent, tm_expire: r.tm_expire })),
      };
    },
  });
}
