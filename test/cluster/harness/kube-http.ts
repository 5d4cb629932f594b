/**
 * A minimal JSON client for the Kubernetes REST API, used by the test harness for setup calls
 * (and usable by tests for raw requests). Talks HTTPS with the harness CA and a bearer token.
 */
import { Agent, request as httpsRequest } from 'node:https';

export class KubeApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const message =
      body && typeof body === 'object' && 'message' in body
        ? String((body as { message: unknown }).message)
        : String(body);
    super(`${method} ${path}: HTTP ${status}: ${message}`);
    this.name = 'KubeApiError';
  }

  /** The Status reason (NotFound, Forbidden, AlreadyExists, ...), when the server sent one. */
  get reason(): string | undefined {
    const b = this.body as { reason?: unknown } | undefined;
    return typeof b?.reason === 'string' ? b.reason : undefined;
  }
}

export interface KubeResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the response was JSON, the text otherwise. */
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Defaults to application/json when a body is given. */
  contentType?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  timeoutMs?: number;
}

export class KubeHttp {
  readonly #agent: Agent;

  constructor(
    readonly server: string,
    caPem: string,
    readonly token: string | undefined,
  ) {
    this.#agent = new Agent({ ca: caPem, keepAlive: true, maxSockets: 8 });
  }

  /** Sends a request and resolves with any status; rejects only on transport errors. */
  request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<KubeResponse<T>> {
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const payload =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text.length > 0) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T });
        });
      });
      req.setTimeout(opts.timeoutMs ?? 30_000, () =>
        req.destroy(new Error(`${method} ${url.pathname}: timed out`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like request(), but rejects with KubeApiError unless the status is 2xx. */
  async call<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request<T>(method, path, opts);
    if (res.status < 200 || res.status > 299) throw new KubeApiError(method, path, res.status, res.body);
    return res.body;
  }

  get<T = unknown>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.call<T>('GET', path, { query });
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, { body });
  }

  put<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, { body });
  }

  delete<T = unknown>(path: string): Promise<T> {
    return this.call<T>('DELETE', path);
  }

  /** Server-side apply (creates or updates) of one object at its named path. */
  serverSideApply<T = unknown>(
    path: string,
    object: unknown,
    fieldManager = 'tideplane-test-harness',
  ): Promise<T> {
    return this.call<T>('PATCH', path, {
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager, force: true },
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
