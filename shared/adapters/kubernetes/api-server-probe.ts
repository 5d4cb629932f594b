/**
 * The API-server probe on `node:https`: `GET /readyz?verbose` on one API server's own address.
 *
 * TLS is verified against the cluster's CA only (not the system store: a public CA has no say over a
 * cluster's API servers). The serving certificate is checked for `servername`, which is also sent as
 * SNI: an API server's certificate usually names the API's DNS name and often not the node's IP, so
 * callers that dial an instance's private IP pass the API name here. Without `servername` the
 * certificate must name the address itself. An IP given as `servername` is verified but not sent (TLS
 * does not carry IPs in SNI).
 *
 * One fresh connection per probe (no agent): a probe says something about that server now, not about a
 * pooled connection from a minute ago, and a Lambda must not keep sockets open. The whole probe is
 * bounded by `timeoutMs`; it never throws.
 *
 * `/readyz` is readable anonymously on a default kube-apiserver (`system:public-info-viewer`); clusters
 * that turn anonymous auth off need a `token` whose user may `get` the non-resource URL `/readyz`.
 */
import type { ClientRequest } from 'node:http';
import { request } from 'node:https';
import type { Socket } from 'node:net';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { ApiServerProbePort, ProbeResult } from '../../ports/api-server-probe';

/** Gives up on one probe (connect, TLS, answer) after this long: a ready API server answers in ms. */
export const READYZ_TIMEOUT_MS = 5_000;
/** kube-apiserver's secure port when the address names none (kOps and kubeadm behind an LB: 443/6443). */
export const DEFAULT_API_SERVER_PORT = 443;
/** Bytes of the answer read: a verbose readyz body of every check is a few KiB. */
export const MAX_READYZ_BODY_BYTES = 64 * 1024;
/** Characters of a non-readyz answer (a 401/403 Status) kept in `detail`. */
const MAX_DETAIL_CHARS = 300;

export interface ApiServerProbeOptions {
  /** PEM of the cluster CA (`Buffer.from(caData, 'base64').toString()` for a kubeconfig's caData). */
  caPem: string;
  /** The name the serving certificate must carry, sent as SNI; default: the probed address's host. */
  servername?: string;
  /** Port for addresses without one; default DEFAULT_API_SERVER_PORT. */
  port?: number;
  /** A bearer token, or a provider asked before each probe, for clusters without anonymous readyz. */
  token?: string | (() => Promise<string>);
  /** Default READYZ_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; undefined when malformed. */
export function parseAddress(
  address: string,
  defaultPort: number,
): { host: string; port: number } | undefined {
  const trimmed = address.trim();
  let host = trimmed;
  let port: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2];
  } else if (isIP(trimmed) !== 6 && trimmed.includes(':')) {
    const at = trimmed.lastIndexOf(':');
    host = trimmed.slice(0, at);
    port = trimmed.slice(at + 1);
    if (!/^\d+$/.test(port) || host.includes(':')) return undefined;
  }
  const portNumber = port === undefined ? defaultPort : Number(port);
  if (host === '' || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65_535) return undefined;
  return { host, port: portNumber };
}

/**
 * The failed checks of a readyz body (`[-]etcd failed: reason withheld`), as `etcd failed: reason
 * withheld`, in the server's order.
 */
export function failedChecks(body: string): string[] {
  return body
    .split('\n')
    .map((line) => /^\[-\](.+)$/.exec(line.trim())?.[1]?.trim())
    .filter((check): check is string => check !== undefined && check !== '');
}

/** Why a non-200 answer is not ready: its failed checks, else a Status message, else the body's start. */
export function notReadyDetail(status: number, body: string): string {
  const failed = failedChecks(body);
  if (failed.length > 0) return failed.join('; ');
  let message: string | undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed?.message === 'string') message = parsed.message;
  } catch {
    // Not a Status document: the text itself says what is wrong.
  }
  const text = (message ?? body).trim().replace(/\s+/g, ' ').slice(0, MAX_DETAIL_CHARS);
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}

function errorText(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return typeof e?.code === 'string' && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

/**
 * @example
 * const probe = new HttpsApiServerProbe({ caPem, servername: 'api.internal.kube-1.example.com' });
 * const { ready, detail } = await probe.readyz(instance.privateIpAddress);
 */
export class HttpsApiServerProbe implements ApiServerProbePort {
  private readonly port: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: ApiServerProbeOptions) {
    this.port = options.port ?? DEFAULT_API_SERVER_PORT;
    this.timeoutMs = options.timeoutMs ?? READYZ_TIMEOUT_MS;
  }

  async readyz(address: string): Promise<ProbeResult> {
    const target = parseAddress(address, this.port);
    if (!target) return { ready: false, detail: `not an address: ${JSON.stringify(address)}` };
    let token: string | undefined;
    try {
      token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    } catch (error) {
      return { ready: false, detail: `no token for the probe: ${errorText(error)}` };
    }
    return this.get(target, token);
  }

  private get(target: { host: string; port: number }, token: string | undefined): Promise<ProbeResult> {
    const where = `${isIP(target.host) === 6 ? `[${target.host}]` : target.host}:${target.port}`;
    const verifyName = this.options.servername ?? target.host;
    return new Promise<ProbeResult>((resolve) => {
      let settled = false;
      let connected = false;
      let secured = false;
      let req: ClientRequest | undefined;
      const timer = setTimeout(
        () => finish({ ready: false, detail: `no answer from ${where} within ${this.timeoutMs} ms` }),
        this.timeoutMs,
      );
      const finish = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req?.destroy();
        resolve(result);
      };
      try {
        req = request({
          host: target.host,
          port: target.port,
          path: '/readyz?verbose',
          method: 'GET',
          agent: false,
          ca: this.options.caPem,
          rejectUnauthorized: true,
          ...(isIP(verifyName) === 0 ? { servername: verifyName } : {}),
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            checkServerIdentity(verifyName, cert),
          headers: {
            Accept: 'text/plain',
            'User-Agent': 'tideplane',
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
        });
      } catch (error) {
        // Bad options (a token with a newline, an unusable CA) throw at once; the port never throws.
        finish({ ready: false, detail: `cannot probe ${where}: ${errorText(error)}` });
        return;
      }
      req.once('socket', (socket: Socket) => {
        socket.once('connect', () => {
          connected = true;
        });
        socket.once('secureConnect', () => {
          secured = true;
        });
      });
      req.once('error', (error) => {
        const stage = !connected
          ? `cannot connect to ${where}`
          : !secured
            ? `TLS with ${where} failed`
            : `no answer from ${where}`;
        finish({ ready: false, detail: `${stage}: ${errorText(error)}` });
      });
      req.once('response', (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          if (status === 200) return finish({ ready: true, status });
          const body = Buffer.concat(chunks).toString('utf8');
          finish({ ready: false, status, detail: notReadyDetail(status, body) });
        };
        response.on('data', (chunk: Buffer) => {
          if (size >= MAX_READYZ_BODY_BYTES) return;
          chunks.push(chunk.subarray(0, MAX_READYZ_BODY_BYTES - size));
          size += chunk.length;
          if (size >= MAX_READYZ_BODY_BYTES) done();
        });
        response.once('end', done);
        response.once('error', (error) => {
          finish({ ready: false, status, detail: `answer from ${where} cut off: ${errorText(error)}` });
        });
      });
      req.end();
    });
  }
}
