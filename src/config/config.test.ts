import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';
import { ValidationError } from '../shared/index.ts';

test('config: defaults serve the API on 8080 with the embedded store', () => {
  const cfg = loadConfig({});
  assert.equal(cfg.httpPort, 8080);
  assert.equal(cfg.sipPort, 5060);
  assert.equal(cfg.databaseUrl, '');
  assert.equal(cfg.mode, 'local');
  assert.ok(cfg.dataDir.endsWith('data'));
});

test('config: environment values are converted and validated', () => {
  const cfg = loadConfig({
    CALLBIN_HTTP_PORT: '9090',
    CALLBIN_MODE: 'production',
    CALLBIN_DATABASE_URL: 'postgres://u@h/db',
  });
  assert.equal(cfg.httpPort, 9090);
  assert.equal(cfg.mode, 'production');
});

test('config: every bad value is reported with its variable name', () => {
  assert.throws(
    () =>
      loadConfig({
        CALLBIN_HTTP_PORT: 'eighty',
        CALLBIN_MODE: 'staging',
        CALLBIN_SIP_PORT: '70000',
        CALLBIN_DATABASE_URL: 'mysql://x',
      }),
    (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      const fields = err.details.map((d) => d.field).sort();
      assert.deepEqual(fields, ['CALLBIN_DATABASE_URL', 'CALLBIN_HTTP_PORT', 'CALLBIN_MODE', 'CALLBIN_SIP_PORT']);
      return true;
    },
  );
});

test('config: an RTP range that is empty is refused', () => {
  assert.throws(() => loadConfig({ CALLBIN_RTP_PORT_MIN: '30000', CALLBIN_RTP_PORT_MAX: '20000' }), ValidationError);
});

test('config: SIP over TLS needs both a certificate and a key; the WebSocket port is -1 (off) or a port', () => {
  assert.throws(
    () => loadConfig({ CALLBIN_SIP_TLS_CERT: 'cert.pem' }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.field === 'CALLBIN_SIP_TLS_KEY'),
  );
  assert.throws(
    () => loadConfig({ CALLBIN_SIP_TLS_KEY: 'key.pem' }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.field === 'CALLBIN_SIP_TLS_CERT'),
  );
  assert.throws(
    () => loadConfig({ CALLBIN_SIP_WS_PORT: '-2' }),
    (err: unknown) => err instanceof ValidationError && err.details.some((d) => d.field === 'CALLBIN_SIP_WS_PORT'),
  );
  const cfg = loadConfig({ CALLBIN_SIP_TLS_CERT: 'c.pem', CALLBIN_SIP_TLS_KEY: 'k.pem', CALLBIN_SIP_WS_PORT: '5066' });
  assert.equal(cfg.sipWsPort, 5066);
  assert.equal(cfg.sipTlsPort, 5061);
});

test('config: CALLBIN_MEDIA_RELAY is on by default; 0 or false forces the decoded bridge, anything else is refused', () => {
  assert.equal(loadConfig({}).mediaRelay, true);
  assert.equal(loadConfig({ CALLBIN_MEDIA_RELAY: '0' }).mediaRelay, false);
  assert.equal(loadConfig({ CALLBIN_MEDIA_RELAY: 'FALSE' }).mediaRelay, false);
  assert.equal(loadConfig({ CALLBIN_MEDIA_RELAY: 'true' }).mediaRelay, true);
  for (const bad of ['off', 'constructor', '']) {
    assert.throws(
      () => loadConfig({ CALLBIN_MEDIA_RELAY: bad }),
      (err: unknown) => err instanceof ValidationError && err.details[0]?.field === 'CALLBIN_MEDIA_RELAY',
    );
  }
});

test('config: cluster settings — NATS needs PostgreSQL, node ids and NATS URLs are checked', () => {
  const cfg = loadConfig({
    CALLBIN_DATABASE_URL: 'postgres://u@h/db',
    CALLBIN_NATS_URL: 'nats://10.0.0.1:4222,nats://10.0.0.2:4222',
    CALLBIN_NODE_ID: 'node-a',
    CALLBIN_DRAIN_SECONDS: '5',
  });
  assert.equal(cfg.natsUrl, 'nats://10.0.0.1:4222,nats://10.0.0.2:4222');
  assert.equal(cfg.nodeId, 'node-a');
  assert.equal(cfg.drainSeconds, 5);
  assert.equal(loadConfig({}).drainSeconds, 30);
  const fieldOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      return err.details.map((d) => d.field);
    }
    return [];
  };
  assert.deepEqual(fieldOf({ CALLBIN_NATS_URL: 'nats://127.0.0.1:4222' }), ['CALLBIN_NATS_URL']);
  assert.deepEqual(fieldOf({ CALLBIN_DATABASE_URL: 'postgres://h/db', CALLBIN_NATS_URL: 'http://x' }), [
    'CALLBIN_NATS_URL',
  ]);
  for (const bad of ['a.b', 'a b', '-lead', 'x'.repeat(64), 'node/1', 'n>1', 'n*']) {
    assert.deepEqual(fieldOf({ CALLBIN_NODE_ID: bad }), ['CALLBIN_NODE_ID'], bad);
  }
  assert.deepEqual(fieldOf({ CALLBIN_DRAIN_SECONDS: '-1' }), ['CALLBIN_DRAIN_SECONDS']);
});
