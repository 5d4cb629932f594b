/**
 * The small HTTP client of the HTTP metric collectors (Prometheus, InfluxDB): one keep-alive agent per
 * collector with its TLS options, bearer or basic auth, a cap on the response size, and failures mapped
 * to `MetricError` reasons.
 *
 * It is built on `node:http`/`node:https` rather than `fetch` because Node's `fetch` takes no TLS
 * options (a private CA, a client certificate) without an undici dispatcher, which is not a dependency.
 *
 * Credentials go only to the origin of the configured server (`credentialOrigin`): a collector whose URL
 * an annotation can override (kube-metrics-adapter's `prometheus-server`, `address`) must not send the
 * cluster's token to a server an HPA author picked.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { MetricError, type MetricErrorReason } from '../../ports/metric-source';
import { parseMilli, QuantityError } from '../../units/quantity';

/** Largest response body read (a single-value query answers a few hundred bytes). */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** How much of an error response body ends up in a `MetricError` message. */
const ERROR_BODY_CHARS = 300;

export interface HttpTlsOptions {
  /** PEM bundle of the CAs to trust instead of Node's default roots. */
  caPem?: string;
  /** Client certificate and key (PEM) for mutual TLS. */
  certPem?: string;
  keyPem?: string;
  /** Accept any server certificate. For tests and emergencies only. */
  insecureSkipVerify?: boolean;
  /** The name to verify the certificate against when it differs from the URL's host. */
  serverName?: string;
}

export interface HttpAuthOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Sent as `Authorization: Basic …`. Ignored when `bearerToken` is set. */
  basicAuth?: { username: string; password: string };
  /** Extra headers sent with every request to the configured server (e.g. a tenant header). */
  headers?: Readonly<Record<string, string>>;
}

export interface HttpClientOptions extends HttpAuthOptions {
  tls?: HttpTlsOptions;
  /** Default `DEFAULT_MAX_RESPONSE_BYTES`. */
  maxResponseBytes?: number;
  /** The origin (`scheme://host:port`) that receives the credentials and headers above; none: no origin. */
  credentialOrigin?: string;
}

export interface HttpRequest {
  url: URL;
  method?: 'GET' | 'POST';
  headers?: Readonly<Record<string, string>>;
  body?: string;
  /** The caller's signal (the router aborts at its timeout). */
  signal: AbortSignal;
  /** The collector's own upper bound; the request is aborted after it too. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  contentType: string;
  body: string;
}

/** The reason a non-2xx status maps to; bodies may refine it (see the collectors). */
export function reasonForStatus(status: number): MetricErrorReason {
  if (status === 401 || status === 403) return 'Forbidden';
  if (status === 404) return 'NotServed';
  if (status === 408 || status === 504) return 'Timeout';
  if (status >= 400 && status < 500) return 'Invalid';
  return 'Unavailable';
}

/** The first characters of a body, on one line, for an error message. */
export function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > ERROR_BODY_CHARS ? `${flat.slice(0, ERROR_BODY_CHARS)}…` : flat;
}

export class HttpClient {
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent: HttpsAgent;
  private readonly maxResponseBytes: number;

  constructor(private readonly options: HttpClientOptions = {}) {
    const tls = options.tls ?? {};
    this.httpsAgent = new HttpsAgent({
      keepAlive: true,
      ...(tls.caPem ? { ca: tls.caPem } : {}),
      ...(tls.certPem ? { cert: tls.certPem } : {}),
      ...(tls.keyPem ? { key: tls.keyPem } : {}),
      ...(tls.serverName ? { servername: tls.serverName } : {}),
      rejectUnauthorized: !tls.insecureSkipVerify,
    });
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** The headers carrying the configured credentials, when `url` is on the credential origin. */
  authHeaders(url: URL): Record<string, string> {
    const { credentialOrigin, bearerToken, basicAuth, headers } = this.options;
    if (!credentialOrigin || url.origin !== credentialOrigin) return {};
    const result: Record<string, string> = { ...headers };
    if (bearerToken) result.Authorization = `Bearer ${bearerToken}`;
    else if (basicAuth) {
      const pair = `${basicAuth.username}:${basicAuth.password}`;
      result.Authorization = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
    return result;
  }

  /**
   * Sends one request and reads the whole body. Resolves with any HTTP status; rejects only with a
   * `MetricError`: `Timeout` when `signal` aborts, `Unavailable` for transport and TLS failures,
   * `Invalid` for a body over the size cap.
   */
  request(req: HttpRequest): Promise<HttpResponse> {
    const { url } = req;
    const signal =
      req.timeoutMs === undefined
        ? req.signal
        : AbortSignal.any([req.signal, AbortSignal.timeout(req.timeoutMs)]);
    const what = `${req.method ?? 'GET'} ${url.origin}${url.pathname}`;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(
        new MetricError('Invalid', `${url.href}: only http and https URLs are supported`),
      );
    }
    if (signal.aborted) return Promise.reject(abortError(what, signal, req.timeoutMs));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = {
      'User-Agent': 'tideplane',
      ...this.authHeaders(url),
      ...req.headers,
    };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: MetricError) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => {
        fail(abortError(what, signal, req.timeoutMs));
        outgoing.destroy();
      };
      const outgoing = send(
        url,
        {
          method: req.method ?? 'GET',
          headers,
          agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponseBytes) {
              fail(
                new MetricError(
                  'Invalid',
                  `${what}: response larger than ${this.maxResponseBytes} bytes; narrow the query`,
                ),
              );
              response.destroy();
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', (error) => fail(transportError(what, error)));
          response.on('end', () => {
            if (settled) return;
            settled = true;
            signal.removeEventListener('abort', onAbort);
            resolve({
              status: response.statusCode ?? 0,
              contentType: String(response.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
        },
      );
      signal.addEventListener('abort', onAbort, { once: true });
      outgoing.on('error', (error) => (signal.aborted ? onAbort() : fail(transportError(what, error))));
      outgoing.end(req.body);
    });
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function abortError(what: string, signal: AbortSignal, timeoutMs: number | undefined): MetricError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError' && timeoutMs !== undefined) {
    return new MetricError('Timeout', `${what}: no answer within ${timeoutMs} ms`);
  }
  const detail = reason instanceof Error && reason.name !== 'AbortError' ? ` (${reason.message})` : '';
  return new MetricError('Timeout', `${what}: aborted before the server answered${detail}`);
}

function transportError(what: string, error: Error & { code?: string }): MetricError {
  const code = error.code && !error.message.includes(error.code) ? ` (${error.code})` : '';
  return new MetricError('Unavailable', `${what}: ${error.message}${code}`);
}

/**
 * A number as a source printed it (`"1.5"`, `"1e+06"`, `"NaN"`, `"+Inf"`) in milli-units, rounded up like
 * Kubernetes `MilliValue()`. The decimal text is converted exactly, so `"1.1"` is 1100, not 1101 as
 * `Math.ceil(1.1 * 1000)` would give. NaN, infinities and negative numbers are `Invalid`.
 */
export function milliFromDecimal(text: string, what: string): number {
  const trimmed = text.trim();
  if (/^[+-]?(nan|inf(inity)?)$/i.test(trimmed)) {
    throw new MetricError('Invalid', `${what} is ${trimmed}, not a finite number`);
  }
  let milli: number;
  try {
    milli = parseMilli(trimmed.replace(/^\+/, ''));
  } catch (error) {
    const detail = error instanceof QuantityError ? error.message : String(error);
    throw new MetricError('Invalid', `${what} is not a number: ${detail}`);
  }
  if (milli < 0) throw new MetricError('Invalid', `${what} is negative (${trimmed})`);
  return milli;
}
