// The Prometheus registry of one process, with Node's own process metrics. Metrics carry counts and
// timings only: never a tenant, mailbox, address or any mail data as a label
// (docs/security-controls.md#promises).
import { collectDefaultMetrics, Registry } from 'prom-client';

// prom-client names three gauges `nodejs_active_*_total`; a `_total` suffix promises a counter, so
// `promtool check metrics` rejects them. The same figures remain as `inlet_nodejs_active_handles`,
// `…_requests` and `…_resources` (without the suffix), which prom-client also exports.
const misnamedGauges = [
  'inlet_nodejs_active_handles_total',
  'inlet_nodejs_active_requests_total',
  'inlet_nodejs_active_resources_total',
];

export function makeMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'inlet_' });
  for (const name of misnamedGauges) registry.removeSingleMetric(name);
  return registry;
}
