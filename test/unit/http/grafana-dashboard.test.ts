/**
 * docs/grafana-dashboard.json queries only series newsdesk exports: every metric name in its
 * expressions is registered by serve's /metrics or a worker's --metrics-port (a renamed metric
 * would otherwise leave an empty panel nobody notices).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { App } from '../../../src/app.ts';
import { createMetrics, createSendMetrics } from '../../../src/http/metrics.ts';
import { createWorkerMetrics } from '../../../src/http/worker-metrics.ts';
import { repoPath } from '../../support/editions.ts';

/** An app that fails on any use: building the registries must not touch it. */
const untouchable = new Proxy({} as App, {
  get(_t, key) {
    throw new Error(`the metrics registry used app.${String(key)} while being built`);
  },
});

it('every metric the Grafana dashboard queries is exported by serve or a worker', async () => {
  const dashboard = JSON.parse(readFileSync(repoPath('docs/grafana-dashboard.json'), 'utf8')) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
  };
  const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
  expect(exprs.length).toBeGreaterThan(10);
  const queried = new Set(exprs.flatMap((e) => e.match(/\bnewsdesk_[a-z_]+/g) ?? []));

  const send = createSendMetrics();
  const names = new Set<string>();
  for (const registry of [createMetrics(untouchable, { send }).registry, createWorkerMetrics({ send, pingRedis: async () => 'PONG' }).registry]) {
    for (const metric of registry.getMetricsAsArray()) {
      const { name, type } = metric as unknown as { name: string; type: string };
      names.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    }
  }
  expect([...queried].filter((q) => !names.has(q))).toEqual([]);
  expect(queried.size).toBeGreaterThan(10);
});
