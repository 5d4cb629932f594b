/**
 * The json-path collector against real HTTP(S) servers on 127.0.0.1: one server per fake pod, reached
 * through the collector's address override (the pods keep their made-up pod IPs).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorRequest } from '../../../shared/adapters/metrics/collector';
import {
  JSON_PATH_POD_CONCURRENCY,
  JsonPathCollector,
  type JsonPathCollectorOptions,
} from '../../../shared/adapters/metrics/json-path';
import type { Pod } from '../../../shared/ports/kubernetes';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
}

interface FakeServer {
  server: http.Server | https.Server;
  port: number;
  received: Received[];
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const servers: FakeServer[] = [];

async function listen(server: http.Server | https.Server, handler: Handler): Promise<FakeServer> {
  const fake: FakeServer = { server, port: 0, received: [] };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    fake.received.push({ method: request.method, url: request.url, headers: request.headers });
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as AddressInfo).port;
  servers.push(fake);
  return fake;
}

const serve = (handler: Handler) => listen(http.createServer(), handler);
const json =
  (body: unknown, status = 200): Handler =>
  (_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const hang: Handler = () => {};

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      ({ server }) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

let podCount = 0;
function pod(name: string, overrides: Partial<Pod> = {}): Pod {
  podCount++;
  return {
    namespace: 'shop',
    name,
    uid: `uid-${name}`,
    labels: { app: 'web' },
    annotations: {},
    phase: 'Running',
    podIP: `10.2.0.${podCount % 250}`,
    creationTimestamp: NOW - 3_600_000,
    conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: NOW - 3_600_000 }],
    containers: [],
    initContainers: [],
    ownerReferences: [],
    ...overrides,
  };
}

/** A collector whose pods are reached at 127.0.0.1:<port of that pod's server>. */
function collectorFor(ports: Map<string, number>, options: JsonPathCollectorOptions = {}): JsonPathCollector {
  return new JsonPathCollector({
    address: (target) => {
      const port = ports.get(target.name);
      if (port === undefined) throw new Error(`test bug: no server for ${target.name}`);
      return { host: '127.0.0.1', port };
    },
    ...options,
  });
}

const request = (pods: Pod[], config: Record<string, string>): CollectorRequest => ({
  type: 'Pods',
  namespace: 'shop',
  metricName: 'requests-per-second',
  pods,
  config: { path: '/metrics', port: '9090', ...config },
  now: NOW,
});

const never = () => new AbortController().signal;

describe('JsonPathCollector: Pods metrics from real pod endpoints', () => {
  it('given three pods, should GET <scheme>://<podIP>:<port><path>?<raw-query> on each and return their values in milli-units', async () => {
    const ports = new Map<string, number>();
    const values = { 'web-a': 1.5, 'web-b': 2, 'web-c': 0.0255 };
    const fakes = new Map<string, FakeServer>();
    for (const [name, rps] of Object.entries(values)) {
      const fake = await serve(json({ http_server: { rps } }));
      fakes.set(name, fake);
      ports.set(name, fake.port);
    }
    const pods = Object.keys(values).map((name) => pod(name));
    const collector = collectorFor(ports);

    const result = await collector.collect(
      request(pods, { 'json-key': '$.http_server.rps', 'raw-query': 'foo=bar&baz=bop' }),
      never(),
    );

    expect(result).toEqual({
      ok: true,
      value: {
        kind: 'pods',
        samples: [
          { podName: 'web-a', milliValue: 1500, timestamp: NOW, windowSeconds: 60 },
          { podName: 'web-b', milliValue: 2000, timestamp: NOW, windowSeconds: 60 },
          // upstream's int64(value * 1000) truncates: 25.5 → 25
          { podName: 'web-c', milliValue: 25, timestamp: NOW, windowSeconds: 60 },
        ],
      },
    });
    for (const fake of fakes.values()) {
      expect(fake.received).toHaveLength(1);
      expect(fake.received[0]).toMatchObject({ method: 'GET', url: '/metrics?foo=bar&baz=bop' });
    }
  });

  it('given the default address, should use the pod IP and the configured port', async () => {
    // A pod whose IP is 127.0.0.1 needs no override: this checks the default <podIP>:<port> wiring.
    const fake = await serve(json({ v: 4 }));
    const collector = new JsonPathCollector();
    const result = await collector.collect(
      request([pod('local', { podIP: '127.0.0.1' })], {
        'json-key': '$.v',
        port: String(fake.port),
        path: 'stats',
      }),
      never(),
    );
    expect(
      result.ok && result.value.kind === 'pods' && result.value.samples.map((s) => s.milliValue),
    ).toEqual([4000]);
    expect(fake.received[0]?.url).toBe('/stats');
  });

  it('given arrays and wildcards with each aggregator, should reduce them per pod', async () => {
    const document = { latencies: [10, 20, 60], queues: [{ depth: 3 }, { depth: 4.5 }] };
    const fake = await serve(json(document));
    const ports = new Map([['web-a', fake.port]]);
    const collector = collectorFor(ports);
    const milli = async (config: Record<string, string>) => {
      const result = await collector.collect(request([pod('web-a')], config), never());
      return result.ok && result.value.kind === 'pods' ? result.value.samples[0]?.milliValue : result;
    };
    expect(await milli({ 'json-key': '$.latencies', aggregator: 'avg' })).toBe(30_000);
    expect(await milli({ 'json-key': '$.latencies', aggregator: 'min' })).toBe(10_000);
    expect(await milli({ 'json-key': '$.latencies', aggregator: 'max' })).toBe(60_000);
    expect(await milli({ 'json-key': '$.latencies', aggregator: 'sum' })).toBe(90_000);
    expect(await milli({ 'json-key': '$.queues[*].depth', aggregator: 'sum' })).toBe(7_500);
    expect(await milli({ 'json-key': "$['queues'][1]['depth']" })).toBe(4_500);
    expect(await milli({ 'json-key': '$.latencies[-1]' })).toBe(60_000);
  });

  it('given pods that answer 500, garbage, a string, an array without aggregator, nothing in time, or refuse the connection, should leave exactly those out', async () => {
    const ports = new Map<string, number>();
    ports.set('ok-1', (await serve(json({ rps: 3 }))).port);
    ports.set('ok-2', (await serve(json({ rps: 5 }))).port);
    ports.set('error-500', (await serve(json({ rps: 100 }, 500))).port);
    ports.set('garbage', (await serve(json('<html>busy</html>'))).port);
    ports.set('string', (await serve(json({ rps: '7' }))).port);
    ports.set('array', (await serve(json({ rps: [1, 2] }))).port);
    ports.set('hangs', (await serve(hang)).port);
    ports.set('refuses', await closedPort());
    const pods = [...ports.keys()].map((name) => pod(name));

    const started = performance.now();
    const result = await collectorFor(ports).collect(
      request(pods, { 'json-key': '$.rps', 'request-timeout': '300ms' }),
      never(),
    );
    const elapsed = performance.now() - started;

    expect(result.ok && result.value.kind === 'pods' && result.value.samples).toEqual([
      { podName: 'ok-1', milliValue: 3000, timestamp: NOW, windowSeconds: 60 },
      { podName: 'ok-2', milliValue: 5000, timestamp: NOW, windowSeconds: 60 },
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(290); // waited for the hanging pod's timeout …
    expect(elapsed).toBeLessThan(3_000); // … and no longer
  });

  it('given every pod failing, should be Unavailable, naming the first three pod errors', async () => {
    const ports = new Map<string, number>();
    ports.set('p-500', (await serve(json({}, 500))).port);
    ports.set('p-garbage', (await serve(json('not json'))).port);
    ports.set('p-hangs', (await serve(hang)).port);
    ports.set('p-refuses', await closedPort());
    ports.set('p-missing', (await serve(json({ other: 1 }))).port);
    const pods = [...ports.keys()].map((name) => pod(name));

    const result = await collectorFor(ports).collect(
      request(pods, { 'json-key': '$.rps', 'request-timeout': '200ms' }),
      never(),
    );

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.reason).toBe('Unavailable');
    const message = result.error.message;
    expect(message).toMatch(/^json-path: no pod answered \(5 of 5 failed\): /);
    expect(message).toContain(
      `pod p-500 (${pods[0]?.podIP}:9090/metrics): unsuccessful response: 500 Internal Server Error`,
    );
    expect(message).toContain('pod p-garbage');
    expect(message).toContain('the response is not JSON: "not json"');
    expect(message).toContain('pod p-hangs');
    expect(message).toContain('timed out after 200ms');
    expect(message).toContain('; and 2 more');
    expect(message).not.toContain('p-refuses');
  });

  it('given pods that are not Running, have no IP, or are not Ready long enough, should not ask them', async () => {
    const ports = new Map<string, number>();
    const fakes = new Map<string, FakeServer>();
    for (const name of ['running', 'pending', 'no-ip', 'succeeded', 'fresh', 'seasoned']) {
      const fake = await serve(json({ rps: 1 }));
      fakes.set(name, fake);
      ports.set(name, fake.port);
    }
    const pods = [
      pod('running'),
      pod('pending', { phase: 'Pending' }),
      pod('no-ip', { podIP: undefined }),
      pod('succeeded', { phase: 'Succeeded' }),
      pod('fresh', { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: NOW - 10_000 }] }),
      pod('seasoned', { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: NOW - 31_000 }] }),
    ];
    const collector = collectorFor(ports);

    const withoutAge = await collector.collect(request(pods, { 'json-key': '$.rps' }), never());
    expect(
      withoutAge.ok && withoutAge.value.kind === 'pods' && withoutAge.value.samples.map((s) => s.podName),
    ).toEqual(['running', 'fresh', 'seasoned']);
    const withAge = await collector.collect(
      request(pods, { 'json-key': '$.rps', 'min-pod-ready-age': '30s' }),
      never(),
    );
    expect(
      withAge.ok && withAge.value.kind === 'pods' && withAge.value.samples.map((s) => s.podName),
    ).toEqual(['running', 'seasoned']);
    expect(fakes.get('pending')?.received).toHaveLength(0);
    expect(fakes.get('no-ip')?.received).toHaveLength(0);
    expect(fakes.get('succeeded')?.received).toHaveLength(0);
    expect(fakes.get('fresh')?.received).toHaveLength(1); // only by the first call
  });

  it('given no pod that may be asked, should be Unavailable saying why', async () => {
    const result = await collectorFor(new Map()).collect(
      request([pod('pending', { phase: 'Pending', podIP: undefined })], { 'json-key': '$.rps' }),
      never(),
    );
    expect(result).toMatchObject({
      ok: false,
      error: {
        reason: 'Unavailable',
        message: 'json-path: no pod to ask (1 pods: pending: not Running (Pending))',
      },
    });
  });

  it('given many pods, should ask at most `concurrency` at a time (default JSON_PATH_POD_CONCURRENCY)', async () => {
    let inFlight = 0;
    let peak = 0;
    // One server stands in for all 40 pods here: it is the concurrency across pods that is measured.
    const fake = await serve((_request, response) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        json({ rps: 1 })(_request, response);
      }, 40);
    });
    const pods = Array.from({ length: 40 }, (_, i) => pod(`web-${i}`));
    const ports = new Map(pods.map((p) => [p.name, fake.port]));

    const limited = await collectorFor(ports, { concurrency: 4 }).collect(
      request(pods, { 'json-key': '$.rps' }),
      never(),
    );
    expect(limited.ok && limited.value.kind === 'pods' && limited.value.samples).toHaveLength(40);
    expect(peak).toBe(4);

    peak = 0;
    await collectorFor(ports).collect(request(pods, { 'json-key': '$.rps' }), never());
    expect(peak).toBe(JSON_PATH_POD_CONCURRENCY);
  });

  it('given pods still hanging when the collector’s budget runs out, should return those that answered', async () => {
    const ports = new Map<string, number>();
    ports.set('quick', (await serve(json({ rps: 2 }))).port);
    ports.set('stuck', (await serve(hang)).port);
    const collector = collectorFor(ports, { timeoutMs: 700 });

    const started = performance.now();
    // request-timeout 0: no per-request limit, only the collector's budget (700 ms − margin).
    const result = await collector.collect(
      request([pod('quick'), pod('stuck')], { 'json-key': '$.rps', 'request-timeout': '0' }),
      never(),
    );
    const elapsed = performance.now() - started;

    expect(result.ok && result.value.kind === 'pods' && result.value.samples.map((s) => s.podName)).toEqual([
      'quick',
    ]);
    expect(elapsed).toBeLessThan(700);
  });

  it('given the router aborts the signal, should stop at once and report a Timeout', async () => {
    const ports = new Map([['stuck', (await serve(hang)).port]]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const result = await collectorFor(ports).collect(
      request([pod('stuck')], { 'json-key': '$.rps' }),
      controller.signal,
    );
    expect(result).toMatchObject({ ok: false, error: { reason: 'Timeout' } });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('given a response larger than the limit, should leave the pod out', async () => {
    const ports = new Map([['big', (await serve(json({ rps: 1, padding: 'x'.repeat(10_000) }))).port]]);
    const result = await collectorFor(ports, { maxResponseBytes: 1_000 }).collect(
      request([pod('big')], { 'json-key': '$.rps' }),
      never(),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('response larger than 1000 bytes') },
    });
  });
});

describe('JsonPathCollector: scheme https', () => {
  let directory: string;
  let key: string;
  let cert: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'json-path-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=pod',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(directory, 'key.pem'),
        '-out',
        join(directory, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(directory, 'key.pem'), 'utf8');
    cert = readFileSync(join(directory, 'cert.pem'), 'utf8');
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('given scheme https, should speak TLS to the pod, verify its certificate against the configured CA, and refuse an unknown one', async () => {
    const fake = await listen(https.createServer({ key, cert }), json({ rps: 9 }));
    const ports = new Map([['secure', fake.port]]);
    const config = { 'json-key': '$.rps', scheme: 'https' };

    const trusted = await collectorFor(ports, { tls: { ca: cert } }).collect(
      request([pod('secure')], config),
      never(),
    );
    expect(trusted.ok && trusted.value.kind === 'pods' && trusted.value.samples[0]?.milliValue).toBe(9000);
    expect(fake.received).toHaveLength(1);

    const untrusted = await collectorFor(ports).collect(request([pod('secure')], config), never());
    expect(untrusted).toMatchObject({
      ok: false,
      error: { reason: 'Unavailable', message: expect.stringMatching(/self[- ]signed/) },
    });

    // Plain http against the TLS port: the handshake never happens, so no request reaches the handler.
    const plain = await collectorFor(ports).collect(
      request([pod('secure')], { 'json-key': '$.rps' }),
      never(),
    );
    expect(plain.ok).toBe(false);
    expect(fake.received).toHaveLength(1);
  });
});

describe('JsonPathCollector: External metrics from one endpoint (upstream’s HTTP collector)', () => {
  const external = (config: Record<string, string>): CollectorRequest => ({
    type: 'External',
    namespace: 'shop',
    metricName: 'unique-metric-name',
    config,
    now: NOW,
  });

  it('given an endpoint, should GET it and return one scalar', async () => {
    const fake = await serve(json({ 'some-metric': { value: [3, 9] } }));
    const result = await new JsonPathCollector().collect(
      external({
        'json-key': '$.some-metric.value',
        aggregator: 'max',
        endpoint: `http://127.0.0.1:${fake.port}/metrics?window=1m`,
      }),
      never(),
    );
    expect(result).toEqual({
      ok: true,
      value: { kind: 'scalar', values: [{ milliValue: 9000, timestamp: NOW }] },
    });
    expect(fake.received[0]?.url).toBe('/metrics?window=1m');
  });

  it('given an endpoint that fails or hangs, should report Unavailable or Timeout', async () => {
    const failing = await serve(json({}, 503));
    const stuck = await serve(hang);
    const collector = new JsonPathCollector();
    const down = await collector.collect(
      external({ 'json-key': '$.v', endpoint: `http://127.0.0.1:${failing.port}/` }),
      never(),
    );
    expect(down).toMatchObject({
      ok: false,
      error: { reason: 'Unavailable', message: expect.stringContaining('503') },
    });
    const slow = await collector.collect(
      external({
        'json-key': '$.v',
        endpoint: `http://127.0.0.1:${stuck.port}/`,
        'request-timeout': '150ms',
      }),
      never(),
    );
    expect(slow).toMatchObject({
      ok: false,
      error: { reason: 'Timeout', message: expect.stringContaining('timed out after 150ms') },
    });
  });
});

describe('JsonPathCollector: configuration errors name the key', () => {
  it.each([
    [{ port: '9090' }, 'json-path/json-key: is required'],
    [{ 'json-key': 'http_server.rps' }, 'json-path/json-key: invalid JSONPath'],
    [{ 'json-key': '$.a[?(@.b)]' }, 'filter and script expressions are not supported'],
    [{ 'json-key': '$.a', 'json-eval': 'avg($.a)' }, 'json-path/json-eval: is not supported'],
    [{ 'json-key': '$.a', port: 'http' }, 'json-path/port: "http" is not a port number'],
    [
      { 'json-key': '$.a', aggregator: 'median' },
      'json-path/aggregator: aggregator function "median" is unknown',
    ],
    [{ 'json-key': '$.a', scheme: 'ftp' }, 'json-path/scheme: "ftp" is not http or https'],
    [
      { 'json-key': '$.a', 'request-timeout': '2 seconds' },
      'json-path/request-timeout: "2 seconds" is not a duration',
    ],
    [{ 'json-key': '$.a', 'connect-timeout': '-1s' }, 'json-path/connect-timeout: "-1s" is negative'],
    [{ 'json-key': '$.a', 'min-pod-ready-age': '30' }, 'json-path/min-pod-ready-age: "30" is not a duration'],
  ])('given %j, should be Invalid with "%s"', async (config, message) => {
    const result = await new JsonPathCollector().collect(
      { ...request([pod('web')], {}), config: { path: '/metrics', ...config } },
      never(),
    );
    expect(result).toMatchObject({
      ok: false,
      error: { reason: 'Invalid', message: expect.stringContaining(message) },
    });
  });

  it('given a missing port or endpoint, or an Object metric, should be Invalid', async () => {
    const collector = new JsonPathCollector();
    const noPort = await collector.collect(
      { ...request([pod('web')], {}), config: { 'json-key': '$.a' } },
      never(),
    );
    expect(noPort).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('json-path/port: is required') },
    });
    const noEndpoint = await collector.collect(
      { type: 'External', namespace: 'shop', metricName: 'm', config: { 'json-key': '$.a' }, now: NOW },
      never(),
    );
    expect(noEndpoint).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('json-path/endpoint: is required') },
    });
    const object = await collector.collect(
      { ...request([], { 'json-key': '$.a' }), type: 'Object' },
      never(),
    );
    expect(object).toMatchObject({ ok: false, error: { reason: 'Invalid' } });
  });

  it('given requests that differ in config or pods, should give different cache keys; identical ones the same', () => {
    const collector = new JsonPathCollector();
    const a = request([pod('web-1', { podIP: '10.9.0.1' })], { 'json-key': '$.rps' });
    expect(collector.cacheKey(a)).toBe(
      collector.cacheKey({ ...a, config: { ...a.config }, metricName: 'other' }),
    );
    expect(collector.cacheKey(a)).not.toBe(
      collector.cacheKey({ ...a, config: { ...a.config, port: '9091' } }),
    );
    expect(collector.cacheKey(a)).not.toBe(
      collector.cacheKey({ ...a, pods: [pod('web-1', { podIP: '10.9.0.2' })] }),
    );
  });
});
