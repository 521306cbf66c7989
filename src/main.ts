import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import { buildServer, ensureProjectAdmin, type ProjectAdmin } from './api/index.ts';
import type { Config } from './config/index.ts';
import { systemClock, type Clock, type Logger } from './shared/index.ts';
import { openStore, type Store } from './store/index.ts';

/** A running callbin process. */
export interface CallbinHandle {
  config: Config;
  apiUrl: string;
  sipAddress: string;
  /** Set on the first start only: the project admin's credentials, also saved to the data directory. */
  admin?: ProjectAdmin;
  store: Store;
  close(): Promise<void>;
}

function readOrCreateSecret(dataDir: string, name: string): Buffer {
  const file = join(dataDir, name);
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('base64url'), { mode: 0o600 });
  return secret;
}

/** The composition root: open the store, build the API, listen. */
export async function startCallbin(config: Config, opts: { logger?: Logger; clock?: Clock } = {}): Promise<CallbinHandle> {
  const logger: Logger = opts.logger ?? (pino({ level: config.logLevel }) as unknown as Logger);
  const clock = opts.clock ?? systemClock;
  mkdirSync(config.dataDir, { recursive: true });
  const store = await openStore({ dataDir: config.dataDir, ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}), clock, logger });
  try {
    const admin = await ensureProjectAdmin(store, { dataDir: config.dataDir, adminKey: config.adminKey });
    const app = await buildServer({
      store, clock, logger,
      jwtSecret: readOrCreateSecret(config.dataDir, 'jwt.secret'),
      sipDomain: config.sipDomain,
      mode: config.mode,
      rateLimitPerSec: config.rateLimitPerSec,
      rateLimitBurst: config.rateLimitBurst,
    });
    const address = await app.listen({ host: config.httpHost, port: config.httpPort });
    const url = new URL(address);
    const shownHost = config.httpHost === '0.0.0.0' || config.httpHost === '::' ? '127.0.0.1' : config.httpHost;
    const apiUrl = `http://${shownHost}:${url.port}`;
    const sipHost = config.publicIp || (config.sipHost === '0.0.0.0' ? '127.0.0.1' : config.sipHost);
    let closed = false;
    return {
      config, apiUrl, store,
      sipAddress: `sip:${sipHost}:${config.sipPort}`,
      ...(admin ? { admin } : {}),
      close: async () => {
        if (closed) return;
        closed = true;
        await app.close();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
