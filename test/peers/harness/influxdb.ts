/**
 * A real InfluxDB 1.x server for tests (Debian's `influxdb` package, binary `influxd`, installed by
 * test/peers/scripts/influxdb.sh): temp config, data, WAL and meta folders, HTTP and RPC on free
 * 127.0.0.1 ports, usage reporting and every optional service disabled.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, get, peerBinary, startProcess, waitUntil } from './prometheus';

/** How long `startInfluxDb` waits for `/ping`. */
export const INFLUXDB_START_TIMEOUT_MS = 60_000;

const START_ATTEMPTS = 3;

export interface StartInfluxDbOptions {
  /** Database created at start (default `tideplane`). */
  database?: string;
  /** Turn on authentication and create this admin user first. */
  admin?: { username: string; password: string };
}

export interface InfluxDbServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `influxd version`, e.g. `InfluxDB v1.6.7~rc0 (git: unknown unknown)`. */
  version: string;
  database: string;
  workDir: string;
  /** Writes line protocol into `database` (or `db`), timestamps in `precision` (default ms). */
  write(lines: string, options?: { db?: string; precision?: 'ns' | 'ms' | 's' }): Promise<void>;
  /** Runs InfluxQL (POST /query) as the admin, throwing on any error; returns the parsed JSON. */
  query(q: string, db?: string): Promise<unknown>;
  stop(): Promise<void>;
}

export function influxdBinary(): string {
  return peerBinary('influxd', 'TIDEPLANE_INFLUXD', 'test/peers/scripts/influxdb.sh');
}

/**
 * Starts `influxd` on 127.0.0.1, waits for `/ping`, creates the admin user (when asked) and the database.
 *
 * @example
 * const influx = await startInfluxDb();
 * await influx.write(`queue_depth,queue=jobs value=42.5 ${Date.now()}`);
 */
export async function startInfluxDb(options: StartInfluxDbOptions = {}): Promise<InfluxDbServer> {
  const binary = influxdBinary();
  const version = execFileSync(binary, ['version'], { encoding: 'utf8' }).trim();
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, version, options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(
  binary: string,
  version: string,
  options: StartInfluxDbOptions,
): Promise<InfluxDbServer> {
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const workDir = mkdtempSync(join(tmpdir(), 'tideplane-influxdb-'));
  const config = `
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(workDir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(workDir, 'data')}"
  wal-dir = "${join(workDir, 'wal')}"
  query-log-enabled = false
  wal-fsync-delay = "0s"

[retention]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${options.admin ? 'true' : 'false'}
  log-enabled = false
  write-tracing = false
  pprof-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
`;
  writeFileSync(join(workDir, 'influxdb.conf'), config);
  const url = `http://127.0.0.1:${httpPort}`;
  const proc = startProcess(binary, ['run', '-config', join(workDir, 'influxdb.conf')], workDir);
  const ready = await waitUntil(
    async () => (await get(`${url}/ping`)).status === 204,
    proc,
    INFLUXDB_START_TIMEOUT_MS,
  );
  if (!ready.ok) {
    await proc.stop();
    throw new Error(`influxd did not answer /ping on ${url}: ${ready.why}\n${proc.output()}`);
  }

  const auth = options.admin
    ? `Basic ${Buffer.from(`${options.admin.username}:${options.admin.password}`).toString('base64')}`
    : undefined;
  const post = async (path: string, params: Record<string, string>, body?: string) => {
    const target = `${url}${path}?${new URLSearchParams(params)}`;
    const response = await fetch(target, {
      method: 'POST',
      headers: { ...(auth ? { Authorization: auth } : {}) },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`POST ${path} ${JSON.stringify(params)}: HTTP ${response.status} ${text}`);
    return text;
  };
  const query = async (q: string, db?: string) => {
    const json = JSON.parse(await post('/query', { q, ...(db ? { db } : {}), epoch: 'ms' })) as {
      results?: { error?: string }[];
      error?: string;
    };
    const error = json.error ?? json.results?.find((r) => r.error)?.error;
    if (error) throw new Error(`InfluxQL ${q}: ${error}`);
    return json;
  };

  const database = options.database ?? 'tideplane';
  try {
    if (options.admin) {
      // The first user may be created without credentials, and must be an admin.
      const { username, password } = options.admin;
      await fetch(
        `${url}/query?${new URLSearchParams({ q: `CREATE USER "${username}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES` })}`,
        { method: 'POST' },
      ).then((r) => r.text());
    }
    await query(`CREATE DATABASE "${database}"`);
  } catch (error) {
    await proc.stop();
    throw error;
  }

  return {
    url,
    version,
    database,
    workDir,
    async write(lines, writeOptions = {}) {
      await post(
        '/write',
        { db: writeOptions.db ?? database, precision: writeOptions.precision ?? 'ms' },
        lines,
      );
    },
    query,
    stop: proc.stop,
  };
}
