/**
 * Starts a real, throwaway Kubernetes control plane for tests: etcd plus kube-apiserver (built by
 * `npm run test-peers`), listening on random loopback ports, with static-token users, RBAC, the
 * repo's infra/manifests/ applied, and the metrics APIs served by a local aggregated API server.
 * See test/peers/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments, stringify } from 'yaml';
import { locatePeerBinaries, type PeerBinaries, REPO_ROOT } from './binaries';
import { KubeApiError, KubeHttp } from './kube-http';
import type { Labels } from './label-selector';
import { type LabelResolver, labelResolverKey, METRICS_GROUPS, MetricsApiServer } from './metrics-api-server';
import { createCertificateAuthority, createServiceAccountKey, issueCertificate } from './pki';

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};

export interface TestClusterOptions {
  /** Folder of YAML manifests to apply after start; default: the repo's infra/manifests/. `false`: none. */
  manifestsDir?: string | false;
  /**
   * Bind user `tideplane` to ClusterRole `tideplane` (when the manifests define it) with
   * ClusterRoleBinding `tideplane-user`. Default true.
   */
  bindTideplaneRole?: boolean;
  /**
   * Also bind user `tideplane` to ClusterRole `tideplane-vpa` (the VPA loop's writes, as the VPA
   * function's identity is) with ClusterRoleBinding `tideplane-vpa-user`. Default false: the other
   * loops' identities have the `tideplane` ClusterRole only.
   */
  bindVpaRole?: boolean;
  /** Serve metrics.k8s.io, custom.metrics.k8s.io and external.metrics.k8s.io. Default true. */
  metricsApis?: boolean;
  /** Extra static-token users: name -> groups (system:authenticated is always added). */
  users?: Record<string, string[]>;
  /** Extra kube-apiserver flags, e.g. ['--feature-gates=Foo=true']. */
  extraApiserverArgs?: string[];
  /** Keep the ServiceAccount admission plugin (then pods need their ServiceAccount to exist). */
  serviceAccountAdmission?: boolean;
  /** Give up when the control plane is not ready within this time. Default 120 s. */
  startTimeoutMs?: number;
  /**
   * Also run the real kube-controller-manager with these controllers (its `--controllers` names,
   * e.g. 'deployment-controller'; see `kube-controller-manager --help`), or `true` for
   * DEFAULT_CONTROLLERS. Needs `npm run test-peers` to have built it (the default).
   * Without it nothing fills aggregated ClusterRoles (admin/edit/view), deletes namespaces,
   * creates ReplicaSets/Pods for Deployments, or creates `default` ServiceAccounts.
   */
  controllers?: boolean | readonly string[];
  /** Also run the real kube-scheduler (pods get bound to Node objects the test creates). */
  scheduler?: boolean;
}

/** Controllers started by `controllers: true`. */
export const DEFAULT_CONTROLLERS = [
  'clusterrole-aggregation-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'deployment-controller',
  'replicaset-controller',
] as const;

export interface TestCluster {
  /** https://127.0.0.1:PORT */
  readonly server: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  readonly caPem: string;
  /** base64 of caPem: kubeconfig `certificate-authority-data`, client-node `Cluster.caData`. */
  readonly caData: string;
  /** Token of user `admin` (group system:masters). */
  readonly adminToken: string;
  /** Token of user `tideplane` (only system:authenticated; see bindTideplaneRole). */
  readonly tideplaneToken: string;
  /** Names of the static-token users. */
  readonly users: readonly string[];
  readonly kubeVersion: string;
  readonly etcdVersion: string;
  /** The local metrics API server, or undefined when metricsApis was false. */
  readonly metrics: MetricsApiServer | undefined;
  /**
   * True when the metrics APIs are registered as APIServices, so clients reach them through
   * kube-apiserver (with RBAC). False would mean clients must call `metrics.url` directly.
   */
  readonly metricsAggregated: boolean;
  /** Objects applied from infra/manifests/ at start. */
  readonly appliedManifests: readonly KubeObject[];
  /** Folder with etcd.log and kube-apiserver.log (removed by stop()). */
  readonly workDir: string;
  /** Token of a configured user; throws for an unknown name. */
  userToken(name: string): string;
  /** Kubeconfig YAML for the given token (default: admin's), trusting the cluster CA. */
  kubeconfig(token?: string, opts?: { namespace?: string; skipTLSVerify?: boolean }): string;
  /** A raw JSON client acting with the given token (default: admin's). */
  client(token?: string): KubeHttp;
  /** Server-side-applies YAML text (multi-document) or objects as admin; returns what the server stored. */
  apply(manifests: string | KubeObject | KubeObject[]): Promise<KubeObject[]>;
  /** Applies every *.yaml/*.yml/*.json file in a folder (recursively, sorted). */
  applyDir(dir: string): Promise<KubeObject[]>;
  /** Creates (or updates) a ClusterRoleBinding of a user to a ClusterRole. */
  bindClusterRole(user: string, clusterRole: string, bindingName?: string): Promise<void>;
  /** Stops kube-apiserver, etcd and the metrics server; removes temp files. Idempotent. */
  stop(): Promise<void>;
}

const METRICS_SERVICE = { namespace: 'kube-system', name: 'tideplane-test-metrics' } as const;

// Every process this module started, so they die with the test process.
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function token(): string {
  return randomBytes(24).toString('hex');
}

async function waitFor<T>(
  what: string,
  deadline: number,
  probe: () => Promise<T | undefined>,
  failFast?: () => string | undefined,
): Promise<T> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    const fatal = failFast?.();
    if (fatal) throw new Error(`${what}: ${fatal}`);
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await sleep(100);
  }
  const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
  throw new Error(`timed out waiting for ${what}${detail}`);
}

// Order in which kinds are applied, so that what others depend on exists first.
const KIND_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'Role',
  'ClusterRoleBinding',
  'RoleBinding',
  'ConfigMap',
  'Secret',
];
const kindRank = (kind: string): number => {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
};

/** Parses multi-document YAML into objects, expanding `kind: List`. */
export function parseManifests(text: string, source = 'manifest'): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    out.push(...flattenList(value, source));
  }
  return out;
}

function flattenList(value: unknown, source: string): KubeObject[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${source}: expected a Kubernetes object, got ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  const obj = value as Partial<KubeObject> & { items?: unknown[] };
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    return obj.items.flatMap((i) => flattenList(i, source));
  }
  if (
    typeof obj.apiVersion !== 'string' ||
    typeof obj.kind !== 'string' ||
    typeof obj.metadata?.name !== 'string'
  ) {
    throw new Error(
      `${source}: object needs apiVersion, kind and metadata.name: ${JSON.stringify(value).slice(0, 120)}`,
    );
  }
  return [obj as KubeObject];
}

function manifestFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) files.push(...manifestFiles(p));
    else if (/\.(ya?ml|json)$/i.test(entry)) files.push(p);
  }
  return files;
}

interface ResourceInfo {
  name: string;
  namespaced: boolean;
}

class Applier {
  readonly #discovery = new Map<string, Map<string, ResourceInfo>>();

  constructor(private readonly http: KubeHttp) {}

  async #resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    for (const refresh of [false, true]) {
      let kinds = refresh ? undefined : this.#discovery.get(apiVersion);
      if (!kinds) {
        const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const res = await this.http.request<{
          resources?: { name: string; kind: string; namespaced: boolean }[];
        }>('GET', path);
        kinds = new Map();
        if (res.status === 200) {
          for (const r of res.body.resources ?? []) {
            if (!r.name.includes('/')) kinds.set(r.kind, { name: r.name, namespaced: r.namespaced });
          }
        }
        this.#discovery.set(apiVersion, kinds);
      }
      const info = kinds.get(kind);
      if (info) return info;
    }
    throw new Error(`the server has no resource for ${kind} in ${apiVersion}`);
  }

  async path(obj: KubeObject): Promise<string> {
    const info = await this.#resource(obj.apiVersion, obj.kind);
    const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const ns = info.namespaced
      ? `/namespaces/${encodeURIComponent(obj.metadata.namespace ?? 'default')}`
      : '';
    return `${base}${ns}/${info.name}/${encodeURIComponent(obj.metadata.name)}`;
  }

  async apply(objects: KubeObject[], deadline: number): Promise<KubeObject[]> {
    const sorted = [...objects].sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
    const crds = sorted.filter((o) => o.kind === 'CustomResourceDefinition');
    const applied: KubeObject[] = [];
    const applyOne = async (obj: KubeObject) =>
      applied.push(await this.http.serverSideApply<KubeObject>(await this.path(obj), obj));
    for (const obj of sorted.filter((o) => kindRank(o.kind) <= kindRank('CustomResourceDefinition')))
      await applyOne(obj);
    await Promise.all(crds.map((crd) => this.#waitEstablished(crd.metadata.name, deadline)));
    if (crds.length > 0) this.#discovery.clear();
    for (const obj of sorted.filter((o) => kindRank(o.kind) > kindRank('CustomResourceDefinition')))
      await applyOne(obj);
    return applied;
  }

  async #waitEstablished(name: string, deadline: number): Promise<void> {
    await waitFor(`CustomResourceDefinition ${name} to be Established`, deadline, async () => {
      const crd = await this.http.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
      );
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    });
  }
}

function kubeconfigYaml(
  server: string,
  caData: string,
  tokenValue: string,
  opts: { namespace?: string; skipTLSVerify?: boolean },
): string {
  const cluster: Record<string, unknown> = { server };
  if (opts.skipTLSVerify) cluster['insecure-skip-tls-verify'] = true;
  else cluster['certificate-authority-data'] = caData;
  const context: Record<string, unknown> = { cluster: 'tideplane-test', user: 'tideplane-test-user' };
  if (opts.namespace) context.namespace = opts.namespace;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'tideplane-test', cluster }],
    users: [{ name: 'tideplane-test-user', user: { token: tokenValue } }],
    contexts: [{ name: 'tideplane-test', context }],
    'current-context': 'tideplane-test',
    preferences: {},
  });
}

function spawnLogged(binary: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    return child;
  } finally {
    closeSync(fd);
  }
}

async function terminate(child: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * A detached shell that outlives a crashed test process and then kills what it started: a process
 * 'exit' hook does not run when the test process is killed with SIGKILL or dies in native code.
 */
function startWatchdog(pids: number[], dir: string): ChildProcess {
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; shift; dir="$1"; shift; ' +
    'kill -TERM "$@" 2>/dev/null; sleep 2; kill -KILL "$@" 2>/dev/null; rm -rf "$dir"';
  const child = spawn('sh', ['-c', script, 'watchdog', String(process.pid), dir, ...pids.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child;
}

/** Starts etcd + kube-apiserver (+ metrics APIs) and applies infra/manifests/; see TestClusterOptions. */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  // Ports are picked free and then handed to the binaries, so another process may take one in
  // between: start over (with new ports) when that happened.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test(String(err))) throw err;
    }
  }
}

async function startOnce(opts: TestClusterOptions): Promise<TestCluster> {
  const bins: PeerBinaries = locatePeerBinaries();
  installExitHook();
  const startedAt = Date.now();
  const deadline = startedAt + (opts.startTimeoutMs ?? 120_000);
  const dir = mkdtempSync(join(tmpdir(), 'tideplane-cluster-'));
  liveDirs.add(dir);
  const keep = process.env.TIDEPLANE_TEST_CLUSTER_KEEP === '1';

  let etcd: ChildProcess | undefined;
  let apiserver: ChildProcess | undefined;
  const extraProcesses: ChildProcess[] = [];
  let watchdog: ChildProcess | undefined;
  let metrics: MetricsApiServer | undefined;
  const clients: KubeHttp[] = [];
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.close();
    await metrics?.close();
    await Promise.all(extraProcesses.map((p) => terminate(p)));
    await terminate(apiserver);
    await terminate(etcd);
    if (watchdog?.pid) {
      try {
        process.kill(watchdog.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    liveDirs.delete(dir);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };

  try {
    // ---- PKI, tokens -------------------------------------------------------------------------------
    const ca = createCertificateAuthority('tideplane-test-ca');
    const serving = issueCertificate(ca, {
      commonName: 'kube-apiserver',
      hosts: [
        '127.0.0.1',
        'localhost',
        '10.0.0.1',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
    });
    const frontProxy = issueCertificate(ca, {
      commonName: 'front-proxy-client',
      server: false,
      client: true,
    });
    const saKey = createServiceAccountKey();
    const files = {
      ca: join(dir, 'ca.crt'),
      servingCert: join(dir, 'apiserver.crt'),
      servingKey: join(dir, 'apiserver.key'),
      proxyCert: join(dir, 'front-proxy-client.crt'),
      proxyKey: join(dir, 'front-proxy-client.key'),
      saKey: join(dir, 'sa.key'),
      saPub: join(dir, 'sa.pub'),
      tokens: join(dir, 'tokens.csv'),
      etcdLog: join(dir, 'etcd.log'),
      apiserverLog: join(dir, 'kube-apiserver.log'),
      adminKubeconfig: join(dir, 'admin.kubeconfig'),
    };
    writeFileSync(files.ca, ca.cert);
    writeFileSync(files.servingCert, serving.cert);
    writeFileSync(files.servingKey, serving.key, { mode: 0o600 });
    writeFileSync(files.proxyCert, frontProxy.cert);
    writeFileSync(files.proxyKey, frontProxy.key, { mode: 0o600 });
    writeFileSync(files.saKey, saKey.privateKeyPem, { mode: 0o600 });
    writeFileSync(files.saPub, saKey.publicKeyPem);

    const users = new Map<string, { token: string; groups: string[] }>([
      ['admin', { token: token(), groups: ['system:masters'] }],
      ['tideplane', { token: token(), groups: [] }],
    ]);
    for (const [name, groups] of Object.entries(opts.users ?? {}))
      users.set(name, { token: token(), groups });
    const csv = [...users.entries()].map(
      ([name, u], i) =>
        `${u.token},${name},uid-${i}-${name}${u.groups.length ? `,"${u.groups.join(',')}"` : ''}`,
    );
    writeFileSync(files.tokens, `${csv.join('\n')}\n`, { mode: 0o600 });
    const adminToken = users.get('admin')?.token ?? '';

    // ---- etcd --------------------------------------------------------------------------------------
    const [etcdClientPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    etcd = spawnLogged(
      bins.etcd,
      [
        '--name=tideplane-test',
        `--data-dir=${join(dir, 'etcd-data')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=tideplane-test=${peerUrl}`,
        '--initial-cluster-state=new',
        '--unsafe-no-fsync=true',
        '--log-level=warn',
        '--quota-backend-bytes=1073741824',
      ],
      files.etcdLog,
    );
    const etcdDied = () =>
      etcd?.exitCode !== null || etcd?.signalCode !== null
        ? `etcd exited; log:\n${tail(files.etcdLog)}`
        : undefined;
    await waitFor(
      'etcd /health',
      deadline,
      async () => {
        const res = await fetch(`${etcdUrl}/health`);
        const body = (await res.json()) as { health?: string };
        return res.ok && body.health === 'true' ? true : undefined;
      },
      etcdDied,
    );

    // ---- kube-apiserver ----------------------------------------------------------------------------
    const server = `https://127.0.0.1:${apiPort}`;
    const args = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'cert-dir')}`,
      `--tls-cert-file=${files.servingCert}`,
      `--tls-private-key-file=${files.servingKey}`,
      `--client-ca-file=${files.ca}`,
      `--token-auth-file=${files.tokens}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${files.saPub}`,
      `--service-account-signing-key-file=${files.saKey}`,
      // Front-proxy identity the aggregator presents to aggregated API servers.
      `--proxy-client-cert-file=${files.proxyCert}`,
      `--proxy-client-key-file=${files.proxyKey}`,
      `--requestheader-client-ca-file=${files.ca}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      // Resolve APIService services to their Service (ClusterIP / ExternalName), not endpoints.
      '--enable-aggregator-routing=false',
      // The `kubernetes` Service's Endpoints may not point at loopback; nothing needs them here.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
    ];
    if (!opts.serviceAccountAdmission) {
      // No controller-manager creates `default` ServiceAccounts, so this plugin would reject pods.
      args.push('--disable-admission-plugins=ServiceAccount');
    }
    args.push(...(opts.extraApiserverArgs ?? []));
    apiserver = spawnLogged(bins.kubeApiserver, args, files.apiserverLog);
    const watchdogPids = [apiserver.pid, etcd.pid].filter((p): p is number => p !== undefined);
    const restartWatchdog = () => {
      if (watchdog?.pid) {
        try {
          process.kill(watchdog.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      watchdog = startWatchdog(watchdogPids, dir);
    };
    restartWatchdog();

    const admin = new KubeHttp(server, ca.cert, adminToken);
    clients.push(admin);
    const apiserverDied = () =>
      apiserver?.exitCode !== null || apiserver?.signalCode !== null
        ? `kube-apiserver exited; log:\n${tail(files.apiserverLog)}`
        : (etcdDied() ?? undefined);
    try {
      await waitFor(
        'kube-apiserver /readyz',
        deadline,
        async () => ((await admin.request('GET', '/readyz')).status === 200 ? true : undefined),
        apiserverDied,
      );
    } catch (err) {
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\nkube-apiserver log:\n${tail(files.apiserverLog)}`,
      );
    }

    const applier = new Applier(admin);
    const caData = Buffer.from(ca.cert).toString('base64');

    // ---- metrics APIs (aggregated) -----------------------------------------------------------------
    const setUpMetrics = async (): Promise<boolean> => {
      if (opts.metricsApis === false) return false;
      const svcHost = `${METRICS_SERVICE.name}.${METRICS_SERVICE.namespace}.svc`;
      const metricsCert = issueCertificate(ca, {
        commonName: svcHost,
        hosts: [svcHost, 'localhost', '127.0.0.1'],
      });
      const labelResolver: LabelResolver = async (resource, namespace) => {
        const path =
          resource === 'pods'
            ? namespace === undefined
              ? '/api/v1/pods'
              : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`
            : resource === 'nodes'
              ? '/api/v1/nodes'
              : undefined;
        if (!path) return undefined;
        const list = await admin.get<{
          items: { metadata: { name: string; namespace?: string; labels?: Labels } }[];
        }>(path);
        return new Map(
          list.items.map((i) => [
            labelResolverKey(i.metadata.namespace, i.metadata.name),
            i.metadata.labels ?? {},
          ]),
        );
      };
      metrics = await MetricsApiServer.start({ cert: metricsCert.cert, key: metricsCert.key, labelResolver });
      await applier.apply(
        [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: METRICS_SERVICE.name, namespace: METRICS_SERVICE.namespace },
            // kube-apiserver cannot reach a ClusterIP here (no kube-proxy) and Endpoints may not
            // name loopback addresses, but the aggregator dials an ExternalName service's name.
            spec: { type: 'ExternalName', externalName: 'localhost' },
          },
          ...METRICS_GROUPS.map(({ group, version }) => ({
            apiVersion: 'apiregistration.k8s.io/v1',
            kind: 'APIService',
            metadata: { name: `${version}.${group}` },
            spec: {
              group,
              version,
              service: { ...METRICS_SERVICE, port: metrics?.port ?? 0 },
              caBundle: caData,
              groupPriorityMinimum: 100,
              versionPriority: 100,
            },
          })),
        ],
        deadline,
      );
      await Promise.all(
        METRICS_GROUPS.map(({ group, version }) =>
          waitFor(`APIService ${version}.${group} to be Available`, deadline, async () => {
            const svc = await admin.get<{
              status?: { conditions?: { type: string; status: string; message?: string }[] };
            }>(`/apis/apiregistration.k8s.io/v1/apiservices/${version}.${group}`);
            const available = svc.status?.conditions?.find((c) => c.type === 'Available');
            if (available?.status === 'True') return true;
            throw new Error(available?.message ?? 'no Available condition yet');
          }),
        ),
      );
      return true;
    };

    // ---- manifests/ --------------------------------------------------------------------------------
    const applyDir = async (folder: string): Promise<KubeObject[]> => {
      const objects = manifestFiles(folder).flatMap((f) => parseManifests(readFileSync(f, 'utf8'), f));
      return applier.apply(objects, Date.now() + 60_000);
    };
    const setUpManifests = async (): Promise<KubeObject[]> => {
      const folder =
        opts.manifestsDir === undefined ? join(REPO_ROOT, 'infra', 'manifests') : opts.manifestsDir;
      const applied = folder === false ? [] : await applyDir(folder);
      return applied;
    };

    const bindClusterRole = async (
      user: string,
      clusterRole: string,
      bindingName?: string,
    ): Promise<void> => {
      await applier.apply(
        [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: bindingName ?? `${user}-${clusterRole}` },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
            subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
          },
        ],
        Date.now() + 30_000,
      );
    };

    // ---- optional kube-controller-manager / kube-scheduler -----------------------------------------
    const startComponents = async (): Promise<void> => {
      const controllers = opts.controllers === true ? [...DEFAULT_CONTROLLERS] : opts.controllers || [];
      if (controllers.length === 0 && !opts.scheduler) return;
      writeFileSync(files.adminKubeconfig, kubeconfigYaml(server, caData, adminToken, {}), { mode: 0o600 });
      const need = (path: string | undefined, what: string, env: string): string => {
        if (path) return path;
        throw new Error(
          `${what} not built: run \`npm run test-peers\` (it builds it by default) or set ${env}`,
        );
      };
      const common = [
        `--kubeconfig=${files.adminKubeconfig}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--v=1',
      ];
      if (controllers.length > 0) {
        const kcm = need(
          bins.kubeControllerManager,
          'kube-controller-manager',
          'TIDEPLANE_KUBE_CONTROLLER_MANAGER',
        );
        const child = spawnLogged(
          kcm,
          [
            ...common,
            `--controllers=${controllers.join(',')}`,
            `--service-account-private-key-file=${files.saKey}`,
            `--root-ca-file=${files.ca}`,
            '--service-cluster-ip-range=10.0.0.0/24',
            '--use-service-account-credentials=false',
          ],
          join(dir, 'kube-controller-manager.log'),
        );
        extraProcesses.push(child);
        if (child.pid) watchdogPids.push(child.pid);
      }
      if (opts.scheduler) {
        const sched = need(bins.kubeScheduler, 'kube-scheduler', 'TIDEPLANE_KUBE_SCHEDULER');
        const child = spawnLogged(sched, common, join(dir, 'kube-scheduler.log'));
        extraProcesses.push(child);
        if (child.pid) watchdogPids.push(child.pid);
      }
      restartWatchdog();
      const componentDied = () => {
        const died = extraProcesses.find((p) => p.exitCode !== null || p.signalCode !== null);
        if (!died) return undefined;
        const name = died.spawnfile.split('/').pop() ?? 'a component';
        return `${name} exited; log:\n${tail(join(dir, `${name}.log`))}`;
      };
      const aggregating = controllers.some(
        (c) => c === '*' || c.replace(/-controller$/, '') === 'clusterrole-aggregation',
      );
      if (aggregating) {
        await waitFor(
          'kube-controller-manager to aggregate ClusterRole view',
          deadline,
          async () => {
            const view = await admin.get<{ rules?: unknown[] }>(
              '/apis/rbac.authorization.k8s.io/v1/clusterroles/view',
            );
            return (view.rules?.length ?? 0) > 0 ? true : undefined;
          },
          componentDied,
        );
      } else {
        // Give a component that rejects its flags a moment to say so.
        await sleep(300);
        const died = componentDied();
        if (died) throw new Error(died);
      }
    };

    // Controllers start once the metrics APIServices are Available, so their discovery sees no
    // stale groups.
    const [metricsAggregated, appliedManifests] = await Promise.all([
      setUpMetrics().then(async (aggregated) => {
        await startComponents();
        return aggregated;
      }),
      setUpManifests(),
    ]);
    if (opts.bindTideplaneRole ?? true) {
      const role = await admin.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/tideplane');
      if (role.status === 200) await bindClusterRole('tideplane', 'tideplane', 'tideplane-user');
    }
    if (opts.bindVpaRole) await bindClusterRole('tideplane', 'tideplane-vpa', 'tideplane-vpa-user');

    const userToken = (name: string): string => {
      const u = users.get(name);
      if (!u) {
        throw new Error(
          `no test user ${JSON.stringify(name)}; configured users: ${[...users.keys()].join(', ')} ` +
            '(add more with startTestCluster({ users: { name: [groups] } }))',
        );
      }
      return u.token;
    };

    const cluster: TestCluster = {
      server,
      caPem: ca.cert,
      caData,
      adminToken,
      tideplaneToken: userToken('tideplane'),
      users: [...users.keys()],
      kubeVersion: bins.kubeVersion,
      etcdVersion: bins.etcdVersion,
      metrics,
      metricsAggregated,
      appliedManifests,
      workDir: dir,
      userToken,
      kubeconfig: (t = adminToken, o = {}) => kubeconfigYaml(server, caData, t, o),
      client: (t = adminToken) => {
        const c = new KubeHttp(server, ca.cert, t);
        clients.push(c);
        return c;
      },
      apply: (manifests) => {
        const objects =
          typeof manifests === 'string'
            ? parseManifests(manifests)
            : Array.isArray(manifests)
              ? manifests
              : [manifests];
        return applier.apply(objects, Date.now() + 60_000);
      },
      applyDir,
      bindClusterRole,
      stop,
    };
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

export { KubeApiError, KubeHttp };
