import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { NIL_UUID, ValidationError } from '../../shared/index.ts';
import type { Provider } from '../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { Detail, Name } from '../schemas.ts';
import { pickDefined, registerCrud } from './crud.ts';

const HOST_NAME = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*';
const IP6 = '[0-9A-Fa-f:.]+';
const PORT_SUFFIX = '(:[0-9]{1,5})?';
/** A hostname, an IPv4 address or an IPv6 one (bare or bracketed), with VoIPBIN's optional `:port`. */
const Hostname = Type.String({
  pattern: `^(${HOST_NAME}${PORT_SUFFIX}|\\[${IP6}\\]${PORT_SUFFIX}|${IP6})$`,
  maxLength: 253,
  'x-reason': 'INVALID_HOSTNAME',
  'x-message': 'is not a hostname or IP address (with an optional :port)',
});
/** VoIPBIN's codec list: `"PCMU,PCMA"`; `""` is the server's default. */
const CodecText = Type.String({
  pattern: '^(|\\s*[Pp][Cc][Mm][AaUu]\\s*(,\\s*[Pp][Cc][Mm][AaUu]\\s*)?)$',
  maxLength: 64,
  'x-reason': 'INVALID_VALUE',
  'x-message': 'must be "PCMU", "PCMA" or both separated by a comma',
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
    Type.Union([
      Type.Array(Type.Union([Type.Literal('PCMU'), Type.Literal('PCMA')]), {
        minItems: 1,
        maxItems: 2,
        uniqueItems: true,
      }),
      CodecText,
    ]),
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

/**
 * A provider with VoIPBIN's health fields. callbin checks providers with OPTIONS, but that state
 * lives beside the SIP stack, out of the API's reach, so it answers `unknown`
 * (docs/voipbin-compatibility.md "Providers").
 */
function publicProvider(p: Provider) {
  const { tm_delete, auth_password: _pw, ...rest } = p;
  return {
    ...rest,
    health_status: 'unknown',
    health_checked_at: '',
    metadata: {},
    ...(tm_delete ? { tm_delete } : {}),
  };
}

const DEFAULT_CODECS = ['PCMU', 'PCMA'];

/** `codecs` as callbin keeps it: the list form as it is, VoIPBIN's `"PCMU,PCMA"` split (`""`: the default). */
function codecsOf(value: unknown): string[] | undefined {
  if (value === undefined || Array.isArray(value)) return value as string[] | undefined;
  const text = String(value).trim();
  if (text === '') return [...DEFAULT_CODECS];
  const codecs = text.split(',').map((c) => c.trim().toUpperCase());
  if (new Set(codecs).size !== codecs.length)
    throw ValidationError.field('codecs', 'INVALID_VALUE', `${JSON.stringify(value)} names a codec twice`);
  return codecs;
}

/**
 * `hostname` and `port` of a body whose hostname may carry VoIPBIN's `:port` (`sip.example.com:5080`,
 * `[2001:db8::1]:5080`); a bare IPv6 address has no port. A port in both places must agree.
 */
function hostAndPort(b: Record<string, unknown>): { hostname?: string; port?: number } {
  const given = b.port as number | undefined;
  if (typeof b.hostname !== 'string') return given === undefined ? {} : { port: given };
  const value = b.hostname;
  let host = value;
  let portText: string | undefined;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    host = value.slice(0, end + 1);
    if (end + 1 < value.length) portText = value.slice(end + 2);
  } else if (value.split(':').length === 2) {
    [host, portText] = value.split(':') as [string, string];
  }
  if (portText === undefined) return { hostname: host, ...(given === undefined ? {} : { port: given }) };
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535)
    throw ValidationError.field('hostname', 'INVALID_HOSTNAME', `${JSON.stringify(value)} has no port from 1 to 65535`);
  if (given !== undefined && given !== port)
    throw ValidationError.field('port', 'INVALID_VALUE', `${given} is not the port ${port} the hostname names`);
  return { hostname: host, port };
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
    create: async (b) => {
      const { hostname, port } = hostAndPort(b);
      return {
        customer_id: NIL_UUID,
        type: 'sip',
        hostname: hostname as string,
        port: port ?? 5060,
        transport: (b.transport as string | undefined) ?? 'udp',
        tech_prefix: (b.tech_prefix as string | undefined) ?? '',
        tech_postfix: (b.tech_postfix as string | undefined) ?? '',
        tech_headers: (b.tech_headers as Record<string, string> | undefined) ?? {},
        auth_username: (b.auth_username as string | undefined) ?? '',
        auth_password: (b.auth_password as string | undefined) ?? '',
        name: (b.name as string | undefined) ?? '',
        detail: (b.detail as string | undefined) ?? '',
        codecs: codecsOf(b.codecs) ?? [...DEFAULT_CODECS],
      };
    },
    update: async (b) => {
      const codecs = codecsOf(b.codecs);
      return {
        ...(pickDefined(b, WRITABLE) as Partial<Provider>),
        ...hostAndPort(b),
        ...(codecs !== undefined ? { codecs } : {}),
      };
    },
    afterWrite: () => ctx.onProvidersChanged?.(),
  });
}
