/**
 * Builds `@kubernetes/client-node` API objects for one cluster, all sharing one HTTP layer that
 * authenticates each request (a static or refreshed bearer token, or whatever the kubeconfig says),
 * applies a timeout, reuses one connection pool and counts every request by verb and resource.
 *
 * Only this folder and `adapters/metrics` import `@kubernetes/client-node`.
 */
import {
  ApiException,
  AppsV1Api,
  type Configuration,
  CoreV1Api,
  CustomObjectsApi,
  createConfiguration,
  EventsV1Api,
  type HttpLibrary,
  type HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  type RequestContext,
  type ResponseContext,
  type SecurityAuthentication,
  ServerConfiguration,
  setHeaderMiddleware,
} from '@kubernetes/client-node';
import { RequestCounter, type RequestStats } from './request-stats';

/** Gives up on one API request after this long (client-go's default timeout is similar in spirit). */
export const KUBE_REQUEST_TIMEOUT_MS = 10_000;

/** The User-Agent of every request, so the API server's audit log names tideplane. */
export const KUBE_USER_AGENT = 'tideplane';

/** Returns a bearer token, fresh or cached (EKS tokens, rotated secrets). Never logged. */
export type TokenProvider = () => Promise<string>;

/** Where a client's endpoint and credentials come from. */
export type KubeClientSource =
  | {
      /** Kubeconfig YAML; its current context is used unless `context` names another. */
      kubeconfig: string;
      context?: string;
    }
  | {
      /** `https://…` (plain `http://` is refused unless `skipTLSVerify` is set). */
      server: string;
      /** A static bearer token or a provider asked before every request. */
      token: string | TokenProvider;
      /** Base64 PEM of the API server's CA; the system trust store when unset. */
      caData?: string;
      skipTLSVerify?: boolean;
    };

export interface KubeClientOptions {
  /** Per-request timeout; default `KUBE_REQUEST_TIMEOUT_MS`. */
  requestTimeoutMs?: number;
  /**
   * Called when the API server answers 401, so a token cache can drop a token that the server no
   * longer accepts (the next request fetches a new one).
   */
  onUnauthorized?: () => void;
  /** Share a counter with another client (tests); default: a fresh one. */
  counter?: RequestCounter;
}

export interface RawRequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Content-Type of the body; default `application/json`. */
  contentType?: string;
}

/** One cluster's API clients; see `createKubeClient`. */
export interface KubeClient {
  readonly kubeConfig: KubeConfig;
  /** The configuration every API object below uses (counting HTTP library, auth, server). */
  readonly configuration: Configuration;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly customObjects: CustomObjectsApi;
  readonly events: EventsV1Api;
  /**
   * A JSON request to any API path (discovery, `/scale` of any group, the metrics APIs) through the
   * same authenticated, counted HTTP layer. Non-2xx answers throw client-node's `ApiException`.
   */
  request<T = unknown>(method: HttpMethod, path: string, options?: RawRequestOptions): Promise<T>;
  /** Requests made so far by this client (and every client sharing its counter). */
  stats(): RequestStats;
  resetStats(): void;
  /** Closes pooled connections. The client must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * Creates the API clients for one cluster.
 *
 * @example
 *   const client = createKubeClient({ server: 'https://10.0.0.1', token: 't0k3n', caData });
 *   const pods = await client.core.listPodForAllNamespaces({ limit: 500 });
 */
export function createKubeClient(source: KubeClientSource, options: KubeClientOptions = {}): KubeClient {
  const kubeConfig = new KubeConfig();
  let tokenProvider: TokenProvider | undefined;
  if ('kubeconfig' in source) {
    kubeConfig.loadFromString(source.kubeconfig);
    if (source.context) kubeConfig.setCurrentContext(source.context);
  } else {
    kubeConfig.loadFromOptions({
      clusters: [
        {
          name: 'cluster',
          server: source.server,
          caData: source.caData,
          skipTLSVerify: source.skipTLSVerify ?? false,
        },
      ],
      users: [{ name: 'tideplane' }],
      contexts: [{ name: 'tideplane', cluster: 'cluster', user: 'tideplane' }],
      currentContext: 'tideplane',
    });
    const { token } = source;
    tokenProvider = typeof token === 'string' ? async () => token : token;
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');

  const counter = options.counter ?? new RequestCounter();
  const timeoutMs = options.requestTimeoutMs ?? KUBE_REQUEST_TIMEOUT_MS;
  const auth = new PooledAuthentication(kubeConfig, tokenProvider);
  const httpApi = new CountingHttpLibrary(
    new IsomorphicFetchHttpLibrary(),
    counter,
    timeoutMs,
    options.onUnauthorized,
  );
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server.replace(/\/+$/, ''), {}),
    httpApi,
    authMethods: { default: auth },
    middleware: [setHeaderMiddleware('User-Agent', KUBE_USER_AGENT)],
  });

  const request = async <T>(method: HttpMethod, path: string, opts: RawRequestOptions = {}): Promise<T> => {
    const context = configuration.baseServer.makeRequestContext(path, method);
    for (const [name, value] of Object.entries(opts.query ?? {})) {
      if (value !== undefined) context.setQueryParam(name, String(value));
    }
    context.setHeaderParam('Accept', 'application/json');
    context.setHeaderParam('User-Agent', KUBE_USER_AGENT);
    if (opts.body !== undefined) {
      context.setHeaderParam('Content-Type', opts.contentType ?? 'application/json');
      context.setBody(JSON.stringify(opts.body));
    }
    await auth.applySecurityAuthentication(context);
    const response = await httpApi.send(context).toPromise();
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new ApiException(
        response.httpStatusCode,
        `HTTP ${response.httpStatusCode} for ${method} ${path}`,
        parsed,
        response.headers,
      );
    }
    return parsed as T;
  };

  return {
    kubeConfig,
    configuration,
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    customObjects: new CustomObjectsApi(configuration),
    events: new EventsV1Api(configuration),
    request,
    stats: () => counter.stats(),
    resetStats: () => counter.reset(),
    close: () => auth.close(),
  };
}

/**
 * The kubeconfig's authentication (CA, client certificates, exec plugins, tokens) plus an optional
 * bearer token from a provider, with one connection pool for the client's lifetime: client-node
 * builds a new undici Agent per request, which would cost a TLS handshake per call.
 */
class PooledAuthentication implements SecurityAuthentication {
  private dispatcher: ReturnType<RequestContext['getDispatcher']>;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly tokenProvider: TokenProvider | undefined,
  ) {}

  getName(): string {
    return 'tideplane';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh) {
      if (this.dispatcher) {
        // The fresh agent never connected; closing it frees nothing but keeps it from lingering.
        void fresh.close().catch(() => undefined);
        context.setDispatcher(this.dispatcher);
      } else {
        this.dispatcher = fresh;
      }
    }
    if (this.tokenProvider) {
      context.setHeaderParam('Authorization', `Bearer ${await this.tokenProvider()}`);
    }
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
    this.dispatcher = undefined;
  }
}

/** The lowest layer every request passes through: counts it, bounds it in time, watches for 401. */
class CountingHttpLibrary implements HttpLibrary {
  constructor(
    private readonly inner: HttpLibrary,
    private readonly counter: RequestCounter,
    private readonly timeoutMs: number,
    private readonly onUnauthorized: (() => void) | undefined,
  ) {}

  send(request: RequestContext): ReturnType<HttpLibrary['send']> {
    this.counter.record(request.getHttpMethod(), request.getUrl());
    if (!request.getSignal()) request.setSignal(AbortSignal.timeout(this.timeoutMs));
    return this.inner.send(request).pipe((response: ResponseContext) => {
      if (response.httpStatusCode === 401) this.onUnauthorized?.();
      return response;
    });
  }
}
