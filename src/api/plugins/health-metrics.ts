import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApiDeps } from '../context.ts';
import { rootPlugin } from './root-plugin.ts';

/**
 * The `onResponse` step counts requests by method, route and status; `/metrics` serves them with
 * the process metrics and other modules' `metricsText` (Prometheus), `/health` pings the store and
 * answers 503 `draining` once the node drains, so a load balancer stops sending it work
 * (docs/security.md "Overload").
 */
export function healthMetricsPlugin(deps: Pick<ApiDeps, 'store' | 'metricsText' | 'admission'>) {
  return rootPlugin('callbin-health-metrics', (app) => {
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics, prefix: 'callbin_' });
    // Counted in a plain map on the request path and turned into a Prometheus counter at scrape time.
    const counts = new Map<string, number>();
    new Counter({
      name: 'callbin_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [metrics],
      collect() {
        this.reset();
        for (const [k, n] of counts) {
          const [method = '', route = '', status = ''] = k.split(' ');
          this.inc({ method, route, status }, n);
        }
      },
    });
    app.addHook('onResponse', (req, reply, done) => {
      const k = `${req.method} ${req.routeOptions.url ?? 'unknown'} ${reply.statusCode}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      done();
    });

    app.get('/health', { schema: { hide: true } }, async (_req, reply) => {
      if (deps.admission?.draining) return reply.code(503).send({ status: 'draining', reason: 'NODE_DRAINING' });
      try {
        await deps.store.ping();
        return { status: 'ok' };
      } catch {
        return reply.code(503).send({ status: 'unavailable', reason: 'STORE_UNREACHABLE' });
      }
    });
    app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
      const extra = deps.metricsText ? await deps.metricsText() : '';
      reply.type(metrics.contentType);
      return (await metrics.metrics()) + extra;
    });
  });
}
