import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NIL_UUID } from '../../shared/index.ts';
import type { Provider } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { Detail, Name } from '../schemas.ts';
import { pickDefined, registerCrud } from './crud.ts';

const Hostname = Type.String({
  pattern:
    '^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\\[?[0-9A-Fa-f:.]+\\]?)$',
  maxLength: 253,
  'x-reason': 'INVALID_HOSTNAME',
  'x-message': 'is not a hostname or IP address',
});
const Fields = {
  type: Type.Optional(Type.Literal('sip')),
  hostname: Hostname,
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')])),
  tech_prefix: Type.Optional(
    Type.String({
      pattern: '^[0-9*#+]{0,20}$',
      'x-reason': 'INVALID_TECH_PREFIX',
      'x-message': 'may hold only digits, *, # and +',
    }),
  ),
  tech_postfix: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Za-z*#;=._-]{0,64}$',
      'x-reason': 'INVALID_TECH_POSTFIX',
      'x-message': 'has characters a SIP user part cannot carry',
    }),
  ),
  tech_headers: Type.Optional(
    Type.Record(
      Type.String({ pattern: "^[A-Za-z0-9!%*_+`'~.-]{1,64}$" }),
      Type.String({ maxLength: 1024, pattern: '^[^\\r\\n]*$' }),
    ),
  ),
  auth_username: Type.Optional(Type.String({ maxLength: 128 })),
  auth_password: Type.Optional(Type.String({ maxLength: 128 })),
  name: Type.Optional(Name),
  detail: Type.Optional(Detail),
  codecs: Type.Optional(
    Type.Array(Type.Union([Type.Literal('PCMU'), Type.Literal('PCMA')]), {
      minItems: 1,
      maxItems: 2,
      uniqueItems: true,
    }),
  ),
};
const ProviderBody = Type.Object(Fields, { additionalProperties: false });
const ProviderUpdate = Type.Partial(ProviderBody, { additionalProperties: false });
const WRITABLE = [
  'hostname',
  'port',
  'transport',
  'tech_prefix',
  'tech_postfix',
  'tech_headers',
  'auth_username',
  'auth_password',
  'name',
  'detail',
  'codecs',
] as const;

function publicProvider(p: Provider) {
  const { tm_delete, auth_password: _pw, ...rest } = p;
  return { ...rest, ...(tm_delete ? { tm_delete } : {}) };
}

/** `/providers` (project admin): SIP trunks towards the PSTN. */
export function providerRoutes(app: FastifyInstance, ctx: ApiContext): void {
  registerCrud<Provider>(app, ctx, {
    path: '/providers',
    name: 'provider',
    tag: 'providers',
    repo: ctx.store.providers,
    adminOnly: true,
    createBody: ProviderBody,
    updateBody: ProviderUpdate,
    toPublic: publicProvider,
    create: async (b) => ({
      customer_id: NIL_UUID,
      type: 'sip',
      hostname: b.hostname as string,
      port: (b.port as number | undefined) ?? 5060,
      transport: (b.transport as string | undefined) ?? 'udp',
      tech_prefix: (b.tech_prefix as string | undefined) ?? '',
      tech_postfix: (b.tech_postfix as string | undefined) ?? '',
      tech_headers: (b.tech_headers as Record<string, string> | undefined) ?? {},
      auth_username: (b.auth_username as string | undefined) ?? '',
      auth_password: (b.auth_password as string | undefined) ?? '',
      name: (b.name as string | undefined) ?? '',
      detail: (b.detail as string | undefined) ?? '',
      codecs: (b.codecs as string[] | undefined) ?? ['PCMU', 'PCMA'],
    }),
    update: async (b) => pickDefined(b, WRITABLE) as Partial<Provider>,
    afterWrite: () => ctx.onProvidersChanged?.(),
  });
}
