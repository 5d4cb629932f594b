/**
 * The requests-per-second collector against a real Prometheus (Debian's package): a local /metrics
 * endpoint serves skipper-like `skipper_serve_host_duration_seconds_count{host=...}` counters (and an
 * nginx-like one) that grow at known rates, Prometheus scrapes them every second, and the collector's
 * value must be the known rate of the Ingress's hosts, weighted by the backend's share.
 *
 * `rate(...[1m])` divides by the whole minute, so the values are only right once a minute of samples
 * exists: setup waits for that (about 65 s).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorRequest } from '../../shared/adapters/metrics/collector';
import { createMetricSources } from '../../shared/adapters/metrics/metric-sources';
import { PrometheusCollector } from '../../shared/adapters/metrics/prometheus';
import {
  type IngressRouting,
  type IngressRoutingReader,
  NGINX_QUERY_TEMPLATE,
  RequestsPerSecondCollector,
} from '../../shared/adapters/metrics/requests-per-second';
import type { MetricResult, MetricSource } from '../../shared/ports/metric-source';
import { systemClock } from '../../shared/runtime/system-clock';
import { type PrometheusServer, sleep, startPrometheus } from './harness/prometheus';

/** Requests per second of each series the endpoint serves. */
const SERIES: { metric: string; labels: string; perSecond: number }[] = [
  {
    metric: 'skipper_serve_host_duration_seconds_count',
    labels: 'host="shop_example_org",code="200",method="GET"',
    perSecond: 20,
  },
  {
    metric: 'skipper_serve_host_duration_seconds_count',
    labels: 'host="shop_example_org",code="500",method="GET"',
    perSecond: 2,
  },
  {
    metric: 'skipper_serve_host_duration_seconds_count',
    labels: 'host="www_example_org",code="200",method="POST"',
    perSecond: 8,
  },
  // Not the Ingress's hosts: must never count.
  {
    metric: 'skipper_serve_host_duration_seconds_count',
    labels: 'host="other_example_org",code="200",method="GET"',
    perSecond: 100,
  },
  {
    metric: 'nginx_ingress_controller_requests',
    labels: 'host="shop.example.org",status="200"',
    perSecond: 5,
  },
  // Matches shop.example.org only if the dots were not escaped in the regex.
  {
    metric: 'nginx_ingress_controller_requests',
    labels: 'host="shopxexample.org",status="200"',
    perSecond: 50,
  },
];

/** How much of a minute of samples `rate(...[1m])` needs before it reports the true rate. */
const FULL_WINDOW_MS = 63_000;
const TOLERANCE = 0.03;

interface CounterEndpoint {
  target: string;
  firstScrape(): number | undefined;
  stop(): Promise<void>;
}

/** Serves the counters, each `perSecond × seconds since start`, computed when scraped. */
async function serveCounters(): Promise<CounterEndpoint> {
  const started = Date.now();
  let first: number | undefined;
  const server: Server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    first ??= Date.now();
    const seconds = (Date.now() - started) / 1000;
    const body = SERIES.map((s) => `${s.metric}{${s.labels}} ${(s.perSecond * seconds).toFixed(3)}`).join(
      '\n',
    );
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(`${body}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    firstScrape: () => first,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const OBJECTS: Record<string, IngressRouting> = {
  'Ingress/web/shop': { hosts: ['shop.example.org', 'www.example.org'], backendWeights: {} },
  'Ingress/web/shop-split': {
    hosts: ['shop.example.org', 'www.example.org'],
    backendWeights: { 'shop-blue': 75, 'shop-green': 25, 'shop-dark': 0 },
  },
  'RouteGroup/web/shop': { hosts: ['shop.example.org'], backendWeights: { a: 40, b: 60 } },
  'Ingress/web/nginx-shop': { hosts: ['shop.example.org'], backendWeights: {} },
  'Ingress/web/quiet': { hosts: ['quiet.example.org'], backendWeights: {} },
};

const reader: IngressRoutingReader = {
  getIngressRouting: async (ref) => OBJECTS[`${ref.kind}/${ref.namespace}/${ref.name}`],
};

function request(
  kind: string,
  name: string,
  metricName = 'requests-per-second',
  config = {},
): CollectorRequest {
  return {
    type: 'Object',
    namespace: 'web',
    metricName,
    describedObject: {
      apiVersion: kind === 'Ingress' ? 'networking.k8s.io/v1' : 'zalando.org/v1',
      kind,
      name,
    },
    config,
    now: Date.now(),
  };
}

function perSecond(result: MetricResult<{ kind: string; values?: { milliValue: number }[] }>): number {
  if (!result.ok) throw new Error(`expected a value, got ${result.error.reason}: ${result.error.message}`);
  const [only] = result.value.values ?? [];
  if (!only) throw new Error('no value');
  return only.milliValue / 1000;
}

const never = () => new AbortController().signal;

describe('RequestsPerSecondCollector against a real Prometheus', () => {
  let counters: CounterEndpoint;
  let prom: PrometheusServer;
  let prometheus: PrometheusCollector;
  let collector: RequestsPerSecondCollector;

  beforeAll(async () => {
    counters = await serveCounters();
    prom = await startPrometheus({ scrapeTargets: [counters.target] });
    await prom.waitForQuery('skipper_serve_host_duration_seconds_count');
    const first = counters.firstScrape() ?? Date.now();
    await sleep(Math.max(0, first + FULL_WINDOW_MS - Date.now()));
    prometheus = new PrometheusCollector({ url: prom.url });
    collector = new RequestsPerSecondCollector({ reader, prometheus });
  });

  afterAll(async () => {
    prometheus?.close();
    await prom?.stop();
    await counters?.stop();
  });

  it('given an Ingress with two hosts, should be the rate of both hosts’ requests (20 + 2 + 8 per second)', async () => {
    const value = perSecond(await collector.collect(request('Ingress', 'shop'), never()));
    expect(value).toBeGreaterThan(30 * (1 - TOLERANCE));
    expect(value).toBeLessThan(30 * (1 + TOLERANCE));
  });

  it('given weights and a backend, should be that backend’s share (25% of 30 per second)', async () => {
    const value = perSecond(
      await collector.collect(
        request('Ingress', 'shop-split', 'requests-per-second', { backend: 'shop-green' }),
        never(),
      ),
    );
    expect(value).toBeGreaterThan(7.5 * (1 - TOLERANCE));
    expect(value).toBeLessThan(7.5 * (1 + TOLERANCE));
  });

  it('given the legacy name of a backend with weight 0, should be exactly 0', async () => {
    expect(
      perSecond(
        await collector.collect(request('Ingress', 'shop-split', 'requests-per-second,shop-dark'), never()),
      ),
    ).toBe(0);
  });

  it('given a RouteGroup, should weigh its default backend (60% of 22 per second)', async () => {
    const value = perSecond(
      await collector.collect(
        request('RouteGroup', 'shop', 'requests-per-second', { backend: 'b' }),
        never(),
      ),
    );
    expect(value).toBeGreaterThan(13.2 * (1 - TOLERANCE));
    expect(value).toBeLessThan(13.2 * (1 + TOLERANCE));
  });

  it('given weights but no backend, should be Invalid before asking Prometheus', async () => {
    const result = await collector.collect(request('Ingress', 'shop-split'), never());
    expect(result.ok ? undefined : result.error.reason).toBe('Invalid');
  });

  it('given the nginx template, should match the host exactly as written (dots escaped: 5 per second, not 55)', async () => {
    const nginx = new RequestsPerSecondCollector({ reader, prometheus, queryTemplate: NGINX_QUERY_TEMPLATE });
    const value = perSecond(await nginx.collect(request('Ingress', 'nginx-shop'), never()));
    expect(value).toBeGreaterThan(5 * (1 - TOLERANCE));
    expect(value).toBeLessThan(5 * (1 + TOLERANCE));
  });

  it('given hosts without any requests yet, should be Invalid (scalar() of nothing is NaN), never a guess', async () => {
    const result = await collector.collect(request('Ingress', 'quiet'), never());
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe('Invalid');
      expect(result.error.message).toContain('NaN');
      expect(result.error.message).toContain('quiet_example_org');
    }
  });

  it('through createMetricSources and the router, should answer an HPA’s Object metric on an Ingress', async () => {
    const router = await createMetricSources(
      { prometheus: { url: prom.url } },
      {
        fallback: {} as MetricSource,
        secretsManager: {} as SecretsManagerClient,
        clock: systemClock,
        kubernetes: reader,
      },
    );
    router.beginTick({ now: Date.now(), pods: [] });
    const result = await router.getObjectMetric({
      namespace: 'web',
      describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'shop-split' },
      metricName: 'requests-per-second',
      metricSelector: { matchLabels: { backend: 'shop-blue' } },
    });
    if (!result.ok) throw new Error(`${result.error.reason}: ${result.error.message}`);
    expect(result.value.milliValue / 1000).toBeGreaterThan(22.5 * (1 - TOLERANCE));
    expect(result.value.milliValue / 1000).toBeLessThan(22.5 * (1 + TOLERANCE));
    expect(router.stats().fetches).toEqual({ 'requests-per-second': 1 });
  });
});
