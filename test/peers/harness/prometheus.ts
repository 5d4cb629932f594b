/**
 * A real Prometheus server for tests (Debian's `prometheus` package, installed by
 * test/peers/scripts/prometheus.sh), plus the small local servers the tests put around it: a /metrics
 * endpoint with known values for it to scrape, a recording reverse proxy, and a black hole.
 *
 * Everything listens on 127.0.0.1 on free ports; each server gets a temp work folder removed at stop.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** How long `startPrometheus` waits for `/-/ready`. */
export const PROMETHEUS_START_TIMEOUT_MS = 60_000;
/** How long `stop()` waits after SIGTERM before SIGKILL. */
export const PEER_STOP_GRACE_MS = 5_000;

const POLL_INTERVAL_MS = 100;
const START_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 4_000;

export interface StartPrometheusOptions {
  /** `host:port` targets scraped by one job `test` at `metricsPath`. */
  scrapeTargets?: readonly string[];
  /** Default 1000. */
  scrapeIntervalMs?: number;
  /** Default `/metrics`. */
  metricsPath?: string;
  /** Serve HTTPS with this certificate (Prometheus's `--web.config.file`, `tls_server_config`). */
  tls?: { certPem: string; keyPem: string; caPem: string };
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` (or `https://` with `tls`). */
  url: string;
  /** The first line of `prometheus --version`. */
  version: string;
  workDir: string;
  /** GET /api/v1/query (at the server's now), parsed JSON. */
  query(promql: string): Promise<PromQueryResponse>;
  /** Polls until the query returns a non-empty vector (or a scalar), e.g. after the first scrapes. */
  waitForQuery(promql: string, timeoutMs?: number): Promise<PromQueryResponse>;
  stop(): Promise<void>;
}

export interface PromQueryResponse {
  status: string;
  data?: { resultType: string; result: unknown };
  errorType?: string;
  error?: string;
}

/** Finds `name` on PATH, or the path in `envVar` when set. Throws with the install hint when missing. */
export function peerBinary(name: string, envVar: string, installScript: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} not found on PATH: run bash ${installScript} (or set ${envVar})`);
}

export function prometheusBinary(): string {
  return peerBinary('prometheus', 'TIDEPLANE_PROMETHEUS', 'test/peers/scripts/prometheus.sh');
}

/**
 * Starts Prometheus on 127.0.0.1 with a temp config and TSDB and resolves once `/-/ready` answers 200.
 *
 * @example
 * const metrics = await serveMetrics('queue_depth{queue="jobs"} 42\n');
 * const prom = await startPrometheus({ scrapeTargets: [metrics.target] });
 * await prom.waitForQuery('queue_depth');
 */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0] ?? '';
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, version, await freePort(), options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(
  binary: string,
  version: string,
  port: number,
  options: StartPrometheusOptions,
): Promise<PrometheusServer> {
  const workDir = mkdtempSync(join(tmpdir(), 'tideplane-prometheus-'));
  const interval = `${options.scrapeIntervalMs ?? 1000}ms`;
  const targets = options.scrapeTargets ?? [];
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: test',
    `    metrics_path: ${JSON.stringify(options.metricsPath ?? '/metrics')}`,
    '    static_configs:',
    `      - targets: ${JSON.stringify(targets)}`,
    '',
  ].join('\n');
  writeFileSync(join(workDir, 'prometheus.yml'), config);
  const args = [
    `--config.file=${join(workDir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(workDir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ];
  let ca: string | undefined;
  if (options.tls) {
    writeFileSync(join(workDir, 'tls.crt'), options.tls.certPem);
    writeFileSync(join(workDir, 'tls.key'), options.tls.keyPem);
    writeFileSync(
      join(workDir, 'web.yml'),
      `tls_server_config:\n  cert_file: ${join(workDir, 'tls.crt')}\n  key_file: ${join(workDir, 'tls.key')}\n`,
    );
    args.push(`--web.config.file=${join(workDir, 'web.yml')}`);
    ca = options.tls.caPem;
  }
  const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const proc = startProcess(binary, args, workDir);
  const ready = await waitUntil(
    async () => (await get(`${url}/-/ready`, ca)).status === 200,
    proc,
    PROMETHEUS_START_TIMEOUT_MS,
  );
  if (!ready.ok) {
    await proc.stop();
    throw new Error(`prometheus did not become ready on ${url}: ${ready.why}\n${proc.output()}`);
  }
  const query = async (promql: string) => {
    const response = await get(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, ca);
    return JSON.parse(response.body) as PromQueryResponse;
  };
  return {
    url,
    version,
    workDir,
    query,
    async waitForQuery(promql, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: PromQueryResponse | undefined;
      while (Date.now() < deadline) {
        last = await query(promql);
        const result = last.data?.result;
        if (last.status === 'success' && !(Array.isArray(result) && result.length === 0)) return last;
        await sleep(POLL_INTERVAL_MS * 2);
      }
      throw new Error(`query ${promql} returned nothing within ${timeoutMs} ms: ${JSON.stringify(last)}`);
    },
    stop: proc.stop,
  };
}

// ---- processes ---------------------------------------------------------------------------------------

export interface PeerProcess {
  child: ChildProcess;
  output(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after the grace period; removes the work folder. Safe to call twice. */
  stop(): Promise<void>;
}

export function startProcess(binary: string, args: readonly string[], workDir: string): PeerProcess {
  const child = spawn(binary, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  child.once('error', (error) => keepTail(Buffer.from(`spawn error: ${error.message}\n`)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test runner that dies must not leave the server behind.
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  let stopping: Promise<void> | undefined;
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    output: () => output,
    exited: hasExited,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (!hasExited() && child.pid !== undefined) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), PEER_STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        rmSync(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

export async function waitUntil(
  check: () => Promise<boolean>,
  proc: PeerProcess,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; why: string }> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (proc.exited())
      return { ok: false, why: `exited with ${proc.child.exitCode ?? proc.child.signalCode}` };
    try {
      if (await check()) return { ok: true };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await sleep(POLL_INTERVAL_MS);
  }
  return { ok: false, why: `timed out after ${timeoutMs} ms ${lastError}` };
}

// ---- small local servers -------------------------------------------------------------------------------

export interface MetricsEndpoint {
  /** `127.0.0.1:<port>`, for `scrapeTargets`. */
  target: string;
  /** Replaces the exposition text served from now on. */
  set(text: string): void;
  /** How many times it was scraped. */
  scrapes(): number;
  stop(): Promise<void>;
}

/** Serves `text` (Prometheus text exposition format) on `GET /metrics` at 127.0.0.1. */
export async function serveMetrics(text: string): Promise<MetricsEndpoint> {
  let body = text;
  let scrapes = 0;
  const server = createHttpServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(body);
  });
  const port = await listen(server);
  return {
    target: `127.0.0.1:${port}`,
    set(next) {
      body = next;
    },
    scrapes: () => scrapes,
    stop: () => close(server),
  };
}

export interface RecordedRequest {
  method: string;
  /** The path as the proxy received it (prefix included). */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port><pathPrefix>`: use as the collector's URL. */
  url: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/**
 * A reverse proxy on 127.0.0.1 that records each request and forwards it to `target` with `pathPrefix`
 * removed (like the API server's service proxy, `/api/v1/namespaces/<ns>/services/<svc>/proxy`).
 * Requests outside the prefix get 404. Answers 401 to requests without `requireAuthorization` when set.
 */
export async function startRecordingProxy(
  target: string,
  options: { pathPrefix?: string; requireAuthorization?: string } = {},
): Promise<RecordingProxy> {
  const prefix = options.pathPrefix ?? '';
  const requests: RecordedRequest[] = [];
  const upstream = new URL(target);
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body: body.toString('utf8') });
      if (!path.startsWith(`${prefix}/`)) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
        return;
      }
      if (options.requireAuthorization && req.headers.authorization !== options.requireAuthorization) {
        res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized\n');
        return;
      }
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: path.slice(prefix.length),
          headers: { ...req.headers, host: upstream.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (error) => res.writeHead(502).end(error.message));
      forward.end(body);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}${prefix}`, requests, stop: () => close(server) };
}

export interface BlackHole {
  /** `http://127.0.0.1:<port>`: accepts connections and never answers. */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** A TCP server on 127.0.0.1 that accepts connections, reads and never writes a byte. */
export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createNetServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- helpers --------------------------------------------------------------------------------------------

/** A port that was free a moment ago on 127.0.0.1 (callers retry when another process took it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A GET with an optional CA (for HTTPS peers), resolving with any status. */
export function get(url: string, caPem?: string): Promise<{ status: number; body: string }> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { ...(caPem ? { ca: caPem } : {}), timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
