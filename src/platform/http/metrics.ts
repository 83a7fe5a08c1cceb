import client from 'prom-client';
import type pg from 'pg';
import type { App } from './server.ts';
import type { JobQueue } from '../jobs/queue.ts';

/**
 * Prometheus metrics: request durations by route and status, the database pool, the job queue.
 * One registry per app instance, so tests that build several apps do not share counters.
 */
export function registerMetrics(app: App, pool: pg.Pool, jobs: JobQueue): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'daftari_' });
  const duration = new client.Histogram({
    name: 'daftari_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new client.Gauge({
    name: 'daftari_db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new client.Gauge({
    name: 'daftari_jobs',
    help: 'Background jobs by state (dead = failed for good, waiting for an administrator)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const stats = await jobs.stats();
      for (const [state, n] of Object.entries(stats)) this.set({ state }, n);
    },
  });
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched URLs share one label, so scanners cannot blow up the metric's cardinality.
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  return registry;
}
