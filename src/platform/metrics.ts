import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Everything /metrics exposes, in one registry owned by the platform (not prom-client's global one). */
export function createMetrics() {
  const registry = new Registry();
  const metrics = {
    registry,
    httpRequests: new Counter({
      name: 'gatehouse_http_requests_total',
      help: 'HTTP requests by route pattern, method and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern and method',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    signIns: new Counter({
      name: 'gatehouse_sign_ins_total',
      help: 'Sign-in attempts by method, result and failure reason',
      labelNames: ['method', 'result', 'reason'] as const,
      registers: [registry],
    }),
    lockouts: new Counter({
      name: 'gatehouse_lockouts_total',
      help: 'Identifiers locked after repeated failed sign-ins',
      registers: [registry],
    }),
    codesSent: new Counter({
      name: 'gatehouse_one_time_codes_sent_total',
      help: 'One-time codes issued by channel and purpose',
      labelNames: ['channel', 'purpose'] as const,
      registers: [registry],
    }),
    outboxDeliveries: new Counter({
      name: 'gatehouse_outbox_deliveries_total',
      help: 'Outbox delivery attempts by channel and result (sent, retry, failed)',
      labelNames: ['channel', 'result'] as const,
      registers: [registry],
    }),
  };
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Gauges read at scrape time from the database and the pool. */
export function registerStateGauges(
  metrics: Metrics,
  sources: { outboxBacklog: () => Promise<number>; poolStats: () => { total: number; idle: number; waiting: number } },
): void {
  new Gauge({
    name: 'gatehouse_outbox_backlog',
    help: 'Messages waiting in the outbox (not yet delivered, not given up)',
    registers: [metrics.registry],
    async collect() {
      this.set(await sources.outboxBacklog());
    },
  });
  new Gauge({
    name: 'gatehouse_db_pool_connections',
    help: 'Database connections by state (total, idle, waiting requests)',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      const stats = sources.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
}
