import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AUTO_SCALING_CLIENT_RETRY } from '../../../shared/adapters/aws/auto-scaling';

/** The moto release `test/peers/scripts/moto.sh` installs by default; keep the two in step. */
export const MOTO_VERSION = '5.2.5';

/** Region every client of a moto test peer uses; moto keeps separate state per region. */
export const MOTO_REGION = 'us-east-1';

/** moto accepts any credentials; these are the ones its docs use. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** How long `startMoto` waits for the server to answer (its first start imports a lot of Python). */
export const MOTO_START_TIMEOUT_MS = 60_000;

/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
export const MOTO_STOP_GRACE_MS = 5_000;

const POLL_INTERVAL_MS = 100;
const START_ATTEMPTS = 3;
const OUTPUT_TAIL_CHARS = 4_000;

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: pass as `endpoint` to any AWS SDK v3 client. */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Forgets every resource in every service (moto's `POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Where the `moto_server` binary lives: `TIDEPLANE_MOTO_SERVER` when set, otherwise the cache folder
 * that `test/peers/scripts/moto.sh` installs into.
 */
export function motoServerPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TIDEPLANE_MOTO_SERVER) return env.TIDEPLANE_MOTO_SERVER;
  const peersDir = env.TIDEPLANE_PEERS_DIR || join(homedir(), '.cache', 'tideplane-peers');
  const version = env.TIDEPLANE_MOTO_VERSION || MOTO_VERSION;
  return join(peersDir, `moto-${version}`, 'bin', 'moto_server');
}

/**
 * Starts moto's AWS server on 127.0.0.1 on a free port and resolves once it answers HTTP.
 *
 * @example
 * const moto = await startMoto();
 * const client = new SecretsManagerClient({ endpoint: moto.endpoint, region: moto.region, credentials: moto.credentials });
 * // ...
 * await moto.stop();
 */
export async function startMoto(): Promise<MotoServer> {
  const binary = motoServerPath();
  if (!existsSync(binary)) {
    throw new Error(
      `moto_server not found at ${binary}: run test/peers/scripts/moto.sh (or set TIDEPLANE_MOTO_SERVER)`,
    );
  }
  let lastError: unknown;
  // The free port is found by binding and releasing it, so another process may take it in between:
  // retry with a fresh port when the server dies before it answers.
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(binary: string, port: number): Promise<MotoServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let output = '';
  const keepTail = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  // A test runner that dies must not leave moto behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    await terminate(child, exited);
  };

  const deadline = Date.now() + MOTO_START_TIMEOUT_MS;
  while (!(await answers(endpoint))) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `moto_server exited before answering on ${endpoint}: ${spawnError?.message ?? ''}\n${output}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `moto_server did not answer on ${endpoint} within ${MOTO_START_TIMEOUT_MS} ms\n${output}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  return {
    endpoint,
    region: MOTO_REGION,
    credentials: { ...MOTO_CREDENTIALS },
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop,
  };
}

async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), MOTO_STOP_GRACE_MS);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * What an AWS SDK v3 client needs to talk to the server, with the adapters' own retry settings (so a
 * test sees the retries production makes).
 *
 * @example const ec2 = new EC2Client(motoClientConfig(moto));
 */
export function motoClientConfig(moto: MotoServer) {
  return {
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: moto.credentials,
    ...AUTO_SCALING_CLIENT_RETRY,
  };
}
