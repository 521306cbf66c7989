import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { isAbsolute, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { ValidationError, type FieldIssue } from '../shared/index.ts';

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const LogLevel = Type.Union([
  Type.Literal('fatal'),
  Type.Literal('error'),
  Type.Literal('warn'),
  Type.Literal('info'),
  Type.Literal('debug'),
  Type.Literal('trace'),
  Type.Literal('silent'),
]);

/** The validated configuration of one callbin process. */
export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ minLength: 1 }),
    databaseUrl: Type.String({ pattern: '^(|postgres(ql)?://.+)$' }),
    httpHost: Type.String({ minLength: 1 }),
    httpPort: Port,
    sipHost: Type.String({ minLength: 1 }),
    sipPort: Port,
    sipDomain: Type.String({ pattern: '^[A-Za-z0-9.-]+$' }),
    sipTlsPort: Port,
    sipTlsCert: Type.String(),
    sipTlsKey: Type.String(),
    sipWsPort: Type.Integer({ minimum: -1, maximum: 65535 }),
    /** SIP over secure WebSocket (RFC 7118 `wss`) with `sipTlsCert`/`sipTlsKey`; -1 = off. */
    sipWssPort: Type.Integer({ minimum: -1, maximum: 65535 }),
    rtpPortMin: Type.Integer({ minimum: 1024, maximum: 65534 }),
    rtpPortMax: Type.Integer({ minimum: 1025, maximum: 65535 }),
    publicIp: Type.String(),
    mode: Type.Union([Type.Literal('local'), Type.Literal('production')]),
    adminKey: Type.String({ pattern: '^(|vb_[A-Za-z0-9_-]{16,128})$' }),
    logLevel: LogLevel,
    rateLimitPerSec: Type.Number({ exclusiveMinimum: 0 }),
    rateLimitBurst: Type.Integer({ minimum: 1 }),
    /** Days events, deliveries, idempotency records and other logs are kept (docs/security.md). */
    retentionDays: Type.Integer({ minimum: 1, maximum: 3650 }),
    /**
     * Comma-separated IPs, CIDRs or host names that customers' webhooks, media URLs, flow fetches and
     * `sip:` destinations may reach in production mode although they are loopback, private or link-local.
     */
    allowPrivateTargets: Type.String({ maxLength: 4096 }),
    /** SIP stream transports (TCP, TLS, WebSocket): open connections in all and from one source IP. */
    sipMaxConnections: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    sipMaxConnectionsPerSource: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** A stream connection that completes no message for this long is closed. */
    sipIdleTimeoutSec: Type.Integer({ minimum: 1, maximum: 86_400 }),
    /** A SIP message whose first byte arrived must be complete within this time. */
    sipMessageDeadlineSec: Type.Integer({ minimum: 1, maximum: 600 }),
    /** Calls in set-up at once (INVITE received, not yet answered or failed) above which new ones get 503 (docs/security.md "Overload"). */
    maxCallSetups: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    /** Event-loop lag in ms above which new calls get 503; 0 turns the check off. */
    overloadLagMs: Type.Integer({ minimum: 0, maximum: 60_000 }),
    /** Event-loop utilisation (%) of a 100 ms window above which, with calls arriving, only a share of new calls is admitted; 0 turns it off. */
    overloadUtilisation: Type.Integer({ minimum: 0, maximum: 100 }),
    /** Bridged same-codec legs relay RTP header-rewritten; false decodes every bridge (docs/media.md "Bridging"). */
    mediaRelay: Type.Boolean(),
    /** Test numbers `+1500555xxxx` reach the built-in carrier (docs/testing-your-flows.md "Test numbers"); `auto`: in local mode only. */
    testNumbers: Type.Union([Type.Literal('auto'), Type.Boolean()]),
    /** Record each call's timeline (docs/timeline.md "Reading a timeline"); false records none. */
    timeline: Type.Boolean(),
    /** NATS server(s) of a cluster (comma-separated `nats://host:port`); empty: one node (docs/cluster.md). */
    natsUrl: Type.String({ pattern: '^(|nats://[^,\\s]+(,nats://[^,\\s]+)*)$', maxLength: 4096 }),
    /** This node's id in a cluster (a NATS subject token: no dots); empty: derived from the host name and the SIP port. */
    nodeId: Type.String({ pattern: '^(|[A-Za-z0-9][A-Za-z0-9_:-]{0,62})$' }),
    /** On SIGTERM: seconds live calls may go on after new calls are refused (docs/cluster.md "Drain"). */
    drainSeconds: Type.Integer({ minimum: 0, maximum: 86_400 }),
  },
  { additionalProperties: false },
);

/** The validated configuration of one callbin process. */
export type Config = Static<typeof ConfigSchema>;

/** Environment variable → config key, with its type for conversion. */
const ENV: Record<string, [keyof Config, 'string' | 'int' | 'number' | 'bool']> = {
  CALLBIN_DATA_DIR: ['dataDir', 'string'],
  CALLBIN_DATABASE_URL: ['databaseUrl', 'string'],
  CALLBIN_HTTP_HOST: ['httpHost', 'string'],
  CALLBIN_HTTP_PORT: ['httpPort', 'int'],
  CALLBIN_SIP_HOST: ['sipHost', 'string'],
  CALLBIN_SIP_PORT: ['sipPort', 'int'],
  CALLBIN_SIP_DOMAIN: ['sipDomain', 'string'],
  CALLBIN_SIP_TLS_PORT: ['sipTlsPort', 'int'],
  CALLBIN_SIP_TLS_CERT: ['sipTlsCert', 'string'],
  CALLBIN_SIP_TLS_KEY: ['sipTlsKey', 'string'],
  CALLBIN_SIP_WS_PORT: ['sipWsPort', 'int'],
  CALLBIN_SIP_WSS_PORT: ['sipWssPort', 'int'],
  CALLBIN_RTP_PORT_MIN: ['rtpPortMin', 'int'],
  CALLBIN_RTP_PORT_MAX: ['rtpPortMax', 'int'],
  CALLBIN_PUBLIC_IP: ['publicIp', 'string'],
  CALLBIN_MODE: ['mode', 'string'],
  CALLBIN_ADMIN_KEY: ['adminKey', 'string'],
  CALLBIN_LOG_LEVEL: ['logLevel', 'string'],
  CALLBIN_RATE_LIMIT_PER_SEC: ['rateLimitPerSec', 'number'],
  CALLBIN_RATE_LIMIT_BURST: ['rateLimitBurst', 'int'],
  CALLBIN_RETENTION_DAYS: ['retentionDays', 'int'],
  CALLBIN_ALLOW_PRIVATE_TARGETS: ['allowPrivateTargets', 'string'],
  CALLBIN_SIP_MAX_CONNECTIONS: ['sipMaxConnections', 'int'],
  CALLBIN_SIP_MAX_CONNECTIONS_PER_SOURCE: ['sipMaxConnectionsPerSource', 'int'],
  CALLBIN_SIP_IDLE_TIMEOUT_SEC: ['sipIdleTimeoutSec', 'int'],
  CALLBIN_SIP_MESSAGE_DEADLINE_SEC: ['sipMessageDeadlineSec', 'int'],
  CALLBIN_MAX_CALL_SETUPS: ['maxCallSetups', 'int'],
  CALLBIN_OVERLOAD_LAG_MS: ['overloadLagMs', 'int'],
  CALLBIN_OVERLOAD_UTILISATION: ['overloadUtilisation', 'int'],
  CALLBIN_MEDIA_RELAY: ['mediaRelay', 'bool'],
  CALLBIN_TEST_NUMBERS: ['testNumbers', 'bool'],
  CALLBIN_TIMELINE: ['timeline', 'bool'],
  CALLBIN_NATS_URL: ['natsUrl', 'string'],
  CALLBIN_NODE_ID: ['nodeId', 'string'],
  CALLBIN_DRAIN_SECONDS: ['drainSeconds', 'int'],
};

/** Defaults applied before the config file and the environment. */
export const DEFAULT_CONFIG: Config = {
  dataDir: './data',
  databaseUrl: '',
  httpHost: '0.0.0.0',
  httpPort: 8080,
  sipHost: '0.0.0.0',
  sipPort: 5060,
  sipDomain: 'sip.callbin.local',
  sipTlsPort: 5061,
  sipTlsCert: '',
  sipTlsKey: '',
  sipWsPort: -1,
  sipWssPort: -1,
  rtpPortMin: 20000,
  rtpPortMax: 30000,
  publicIp: '',
  mode: 'local',
  adminKey: '',
  logLevel: 'info',
  rateLimitPerSec: 200,
  rateLimitBurst: 400,
  retentionDays: 30,
  allowPrivateTargets: '',
  sipMaxConnections: 4096,
  sipMaxConnectionsPerSource: 32,
  sipIdleTimeoutSec: 900,
  sipMessageDeadlineSec: 10,
  maxCallSetups: 200,
  // Off by default: on a machine shared with other busy processes the loop can lag without callbin
  // being overloaded; the set-up cap is the signal that is always on (docs/security.md "Overload").
  overloadLagMs: 0,
  overloadUtilisation: 90,
  mediaRelay: true,
  testNumbers: 'auto',
  timeline: true,
  natsUrl: '',
  nodeId: '',
  drainSeconds: 30,
};

/** The entries of `allowPrivateTargets`, trimmed, empty ones dropped. */
export function allowedPrivateTargets(cfg: Pick<Config, 'allowPrivateTargets'>): string[] {
  return cfg.allowPrivateTargets
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** True when calls to test numbers reach the built-in carrier: `CALLBIN_TEST_NUMBERS`, else local mode only (docs/security.md "Test numbers"). */
export function testNumbersEnabled(cfg: Pick<Config, 'testNumbers' | 'mode'>): boolean {
  return cfg.testNumbers === 'auto' ? cfg.mode === 'local' : cfg.testNumbers;
}

const check = Compile(ConfigSchema);

const BOOLEANS = new Map<string, boolean>([
  ['1', true],
  ['true', true],
  ['0', false],
  ['false', false],
]);

function convert(name: string, raw: string, kind: 'string' | 'int' | 'number' | 'bool', issues: FieldIssue[]): unknown {
  if (kind === 'string') return raw;
  if (kind === 'bool') {
    const value = BOOLEANS.get(raw.trim().toLowerCase());
    if (value === undefined)
      issues.push({
        field: name,
        reason: 'INVALID_CONFIG',
        message: `${JSON.stringify(raw)} is not 1, 0, true or false`,
      });
    return value;
  }
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
    issues.push({
      field: name,
      reason: 'INVALID_CONFIG',
      message: `${JSON.stringify(raw)} is not ${kind === 'int' ? 'an integer' : 'a number'}`,
    });
    return undefined;
  }
  return n;
}

/**
 * Build the configuration from defaults, an optional JSON config file (`CALLBIN_CONFIG`, keys as in
 * `Config`) and the environment, in that order. Every bad value is reported with its variable name.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const issues: FieldIssue[] = [];
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const file = env.CALLBIN_CONFIG;
  if (file) {
    try {
      Object.assign(merged, JSON.parse(readFileSync(file, 'utf8')) as object);
    } catch (err) {
      issues.push({
        field: 'CALLBIN_CONFIG',
        reason: 'INVALID_CONFIG',
        message: `cannot read ${file}: ${(err as Error).message}`,
      });
    }
  }
  const sourceOf: Record<string, string> = {};
  for (const [name, [key, kind]] of Object.entries(ENV)) {
    const raw = env[name];
    if (raw === undefined) continue;
    sourceOf[key] = name;
    const value = convert(name, raw, kind, issues);
    if (value !== undefined) merged[key] = value;
  }
  Object.assign(merged, overrides);
  const seen = new Set<string>();
  for (const e of check.Errors(merged)) {
    const key =
      e.instancePath.slice(1) || String((e.params as { additionalProperties?: string[] }).additionalProperties ?? '');
    // A union reports one error per member; one line per field is enough.
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({
      field: sourceOf[key] ?? key,
      reason: 'INVALID_CONFIG',
      message: `${JSON.stringify(merged[key])} ${e.message}`,
    });
  }
  const cfg = merged as Config;
  if (issues.length === 0 && (cfg.sipTlsCert === '') !== (cfg.sipTlsKey === '')) {
    issues.push({
      field: cfg.sipTlsCert === '' ? 'CALLBIN_SIP_TLS_CERT' : 'CALLBIN_SIP_TLS_KEY',
      reason: 'INVALID_CONFIG',
      message: 'SIP over TLS needs both a certificate and a key file',
    });
  }
  if (issues.length === 0 && cfg.sipWssPort >= 0 && cfg.sipTlsCert === '') {
    issues.push({
      field: 'CALLBIN_SIP_WSS_PORT',
      reason: 'INVALID_CONFIG',
      message: 'SIP over secure WebSocket needs CALLBIN_SIP_TLS_CERT and CALLBIN_SIP_TLS_KEY',
    });
  }
  if (issues.length === 0 && cfg.rtpPortMin >= cfg.rtpPortMax) {
    issues.push({
      field: 'CALLBIN_RTP_PORT_MIN',
      reason: 'INVALID_CONFIG',
      message: 'must be lower than CALLBIN_RTP_PORT_MAX',
    });
  }
  if (issues.length === 0 && cfg.natsUrl !== '' && cfg.databaseUrl === '') {
    issues.push({
      field: 'CALLBIN_NATS_URL',
      reason: 'INVALID_CONFIG',
      message:
        'a cluster needs a shared store: set CALLBIN_DATABASE_URL to a postgres:// URL (SQLite is always one node)',
    });
  }
  if (issues.length > 0) throw new ValidationError(issues, 'INVALID_CONFIG');
  return { ...cfg, dataDir: isAbsolute(cfg.dataDir) ? cfg.dataDir : resolve(cfg.dataDir) };
}
