/**
 * The deployable artifact end to end: `functions/hpa/handler.ts` bundled as CDK bundles it for
 * `ClusterHpaFunction` (ESM `index.mjs`, SDK bundled, require banner, minified), loaded by Node's own
 * module loader from a folder with no node_modules, and called as Lambda calls it, with `(event,
 * context)` and the function's environment only. Its peers are real: kube-apiserver + etcd (user
 * `tideplane`, the shipped ClusterRole only), DynamoDB (dynalite) and Secrets Manager (moto's
 * server), which holds the cluster's kubeconfig. The AWS SDK finds the local endpoints through
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SECRETS_MANAGER`: the handler's code is not touched.
 *
 * What Lambda would be given comes from `cdk synth` of a deployment config naming the cluster (the
 * whole app, bundling and cdk-nag included): the function's environment, handler, runtime, memory and
 * timeout are read from the template, and the test's own esbuild bundle must be byte-identical to the
 * asset CDK bundled, so the options copied into support/bundle-handler.ts cannot drift unnoticed.
 *
 * The invocations share one module instance, as a warm Lambda environment does, and run in order:
 * a dry run (the cold start), a real tick, then refused events.
 *
 * Needs both test peers: the Kubernetes binaries (test/peers/scripts/build.sh) and moto
 * (test/peers/scripts/moto.sh).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HPA_ENV, HPA_SERVICE_NAME } from '../../infra/constructs/cluster-hpa-function';
import { type LocalDynamo, startLocalDynamo } from '../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../shared/adapters/dynamodb/state-store';
import { hpaSettingsSchema } from '../../shared/config/hpa-settings';
import { type ResolvedCluster, resolvedClusterSchema } from '../../shared/config/load';
import { HPA_TICK_KEY } from '../../shared/loops/hpa-history-codec';
import { HPA_STATE_TTL_SECONDS } from '../../shared/loops/hpa-loop';
import type { HpaInvocationResponse } from '../../shared/runtime/hpa-invocation';
import { systemClock } from '../../shared/runtime/system-clock';
import { type MotoServer, motoServerPath, startMoto } from '../peers/harness/moto';
import { type KubeHttp, startTestCluster, type TestCluster } from './harness';
import {
  bundleHpaHandler,
  captureOutput,
  type HandlerBundle,
  type HandlerModule,
  importHandler,
  lambdaContext,
  nonBuiltinImports,
  type SynthesizedHpaFunction,
  synthesizeHpaFunction,
} from './support/bundle-handler';
import {
  autoscalerEvents,
  cpuUtilizationSpec,
  createWebWorkload,
  HA_API_VERSION,
  horizontalAutoscaler,
  observableState,
  podNames,
  readAutoscaler,
  readDeployment,
  setPodCpu,
} from './support/hpa-cluster';

const CLUSTER = 'e2e-lambda-bundle';
const NS = 'hpa-bundle';
const FUNCTION_NAME = 'tideplane-hpa-e2e-lambda-bundle';
/** moto's default account: the ARNs it returns carry it. */
const ACCOUNT_ID = '123456789012';
const SECOND = 1000;
/**
 * What the bundle may still import at run time besides Node built-ins: `ws` (client-node's WebSocket
 * library) tries these optional native add-ons in a try/catch and works without them.
 */
const OPTIONAL_RUNTIME_IMPORTS = ['bufferutil', 'utf-8-validate'];
const CPU_ABOVE = 'cpu resource utilization (percentage of request) above target';

let cluster: TestCluster | undefined;
let dynamo: LocalDynamo | undefined;
let moto: MotoServer | undefined;
let bundle: HandlerBundle | undefined;
/** The cloud assembly folder of the synth. */
let cdkOut: string | undefined;
let deployed: SynthesizedHpaFunction;
let admin: KubeHttp;
let store: DynamoDbStateStore;
let secretArn: string;
let kubeconfig: string;
let tideplaneToken: string;
let config: ResolvedCluster;
let lambda: HandlerModule;
/** The process environment before the function's was put in place; restored in afterAll. */
let savedEnv: Record<string, string | undefined> | undefined;
/** Everything every invocation printed. */
const output: string[] = [];

/** One Powertools log line as it reaches CloudWatch. */
interface LogLine {
  level: string;
  message: string;
  service: string;
  cold_start?: boolean;
  function_name?: string;
  function_arn?: string;
  function_memory_size?: string | number;
  function_request_id?: string;
  [key: string]: unknown;
}

interface Invocation {
  response: HpaInvocationResponse;
  awsRequestId: string;
  /** The JSON lines the invocation printed. */
  lines: LogLine[];
  /** What it printed that is not JSON (should be nothing: CloudWatch Logs Insights reads JSON). */
  unstructured: string[];
}

/** One invocation, as the Lambda runtime makes it: the event, a fresh context, stdout captured. */
async function invoke(event: unknown): Promise<Invocation> {
  const awsRequestId = randomUUID();
  const context = lambdaContext({
    functionName: FUNCTION_NAME,
    awsRequestId,
    region: config.region,
    accountId: ACCOUNT_ID,
    timeoutMs: deployed.timeoutSeconds * SECOND,
    memoryLimitInMB: deployed.memorySize,
  });
  const { result, output: printed } = await captureOutput(() => lambda.handler(event, context));
  output.push(printed);
  const lines: LogLine[] = [];
  const unstructured: string[] = [];
  for (const text of printed.split('\n').filter((l) => l.trim() !== '')) {
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      unstructured.push(text);
    }
  }
  return { response: result, awsRequestId, lines, unstructured };
}

/**
 * The environment Lambda would give the function: the template's variables (the table's import resolved
 * to the local table), what the Lambda runtime adds, and the local endpoints.
 */
function functionEnvironment(): Record<string, string> {
  if (!dynamo || !moto) throw new Error('peers not started');
  const fromTemplate: Record<string, string> = {};
  for (const [name, value] of Object.entries(deployed.environment)) {
    if (name === HPA_ENV.table) {
      // The cluster's stack imports the state table's name from the account and region stack.
      expect(value).toEqual({ 'Fn::ImportValue': expect.stringMatching(/:ExportsOutputRefState/) });
      fromTemplate[name] = dynamo.tableName;
    } else if (name === 'NODE_OPTIONS') {
      // --enable-source-maps only applies when a process starts; this one has.
      expect(value).toBe('--enable-source-maps');
    } else if (typeof value === 'string') {
      fromTemplate[name] = value;
    } else {
      throw new Error(
        `environment variable ${name} is not a plain string in the template: ${JSON.stringify(value)}`,
      );
    }
  }
  return {
    ...fromTemplate,
    // What the Lambda runtime sets (the role's credentials are temporary ones).
    AWS_REGION: moto.region,
    AWS_DEFAULT_REGION: moto.region,
    AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: 'e2e-session-token',
    AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${FUNCTION_NAME}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${deployed.runtime}`,
    // Lambda has no shared AWS config or credentials files; this machine's must not count either.
    AWS_CONFIG_FILE: join(cdkOut ?? tmpdir(), 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(cdkOut ?? tmpdir(), 'no-aws-credentials'),
    // The test's only addition: where the SDK finds DynamoDB and Secrets Manager.
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
  };
}

/** Replaces every AWS_* and POWERTOOLS_* variable with the function's environment. */
function enterFunctionEnvironment(environment: Record<string, string>): void {
  const touched = Object.keys(process.env).filter((k) => /^(AWS_|POWERTOOLS_)/.test(k));
  touched.push(...Object.keys(environment));
  savedEnv = Object.fromEntries(touched.map((k) => [k, process.env[k]]));
  for (const key of touched) delete process.env[key];
  Object.assign(process.env, environment);
}

function leaveFunctionEnvironment(): void {
  if (!savedEnv) return;
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  savedEnv = undefined;
}

/** What an invocation could change (see observableState). */
const clusterState = () => observableState(admin, store, CLUSTER, NS, 'web');

/** Starts everything at once and, if anything fails, still leaves each started peer to afterAll. */
async function startPeers(): Promise<void> {
  const started = await Promise.allSettled([
    startTestCluster().then((c) => {
      cluster = c;
    }),
    startLocalDynamo().then((d) => {
      dynamo = d;
    }),
    startMoto().then((m) => {
      moto = m;
    }),
    bundleHpaHandler().then((b) => {
      bundle = b;
    }),
  ]);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

beforeAll(async () => {
  const motoBinary = motoServerPath();
  if (!existsSync(motoBinary)) {
    throw new Error(
      `this suite needs moto's server as well as the Kubernetes binaries: ${motoBinary} is missing. ` +
        'Install it with `bash test/peers/scripts/moto.sh` (or point TIDEPLANE_MOTO_SERVER at a moto_server).',
    );
  }
  await startPeers();
  if (!cluster || !dynamo || !moto || !bundle) throw new Error('a peer did not start');
  admin = cluster.client();
  store = new DynamoDbStateStore({ client: dynamo.client, tableName: dynamo.tableName, clock: systemClock });

  // The kubeconfig of user `tideplane`, stored the way an operator stores it.
  tideplaneToken = cluster.tideplaneToken;
  kubeconfig = cluster.kubeconfig(tideplaneToken);
  const secrets = new SecretsManagerClient({
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: moto.credentials,
  });
  try {
    const created = await secrets.send(
      new CreateSecretCommand({ Name: `tideplane/${CLUSTER}/kubeconfig`, SecretString: kubeconfig }),
    );
    if (!created.ARN) throw new Error('moto returned no ARN for the new secret');
    secretArn = created.ARN;
  } finally {
    secrets.destroy();
  }

  // The cluster as the brief of this suite states it; the synth below must resolve the same.
  config = resolvedClusterSchema.parse({
    accountId: ACCOUNT_ID,
    region: moto.region,
    cluster: { name: CLUSTER, access: { kind: 'kubeconfig', secretArn } },
    hpa: hpaSettingsSchema.parse({}),
  });
  // `cdk synth` of a deployment config with this one cluster. The construct's `logLevel` allows DEBUG:
  // the most the function can ever print, for the secret check.
  cdkOut = await mkdtemp(join(tmpdir(), 'tideplane-cdk-out-'));
  deployed = synthesizeHpaFunction(
    {
      version: 1,
      accounts: [
        {
          id: ACCOUNT_ID,
          regions: [
            { name: moto.region, clusters: [{ name: CLUSTER, access: { kind: 'kubeconfig', secretArn } }] },
          ],
        },
      ],
    },
    CLUSTER,
    { outdir: cdkOut, logLevel: 'DEBUG' },
  );

  // 2 Ready pods at 180m of a 100m request against a 60 % target: the metrics propose 6, upstream's
  // default scale-up limit max(2 × 2, 4) allows 4.
  await createWebWorkload(cluster, {
    namespace: NS,
    name: 'web',
    replicas: 2,
    pods: 2,
    cpuRequest: '100m',
    startedAt: Date.now() - 3600 * SECOND,
  });
  await cluster.apply(horizontalAutoscaler(NS, 'web', cpuUtilizationSpec('web', 60, 1, 10)));
  setPodCpu(cluster, NS, podNames('web', 2), '180m');

  // The function's environment must be in place before the module loads (Powertools reads it then).
  enterFunctionEnvironment(functionEnvironment());
  lambda = await importHandler(bundle.file);
});

afterAll(async () => {
  leaveFunctionEnvironment();
  await Promise.all([
    cluster?.stop(),
    dynamo?.stop(),
    moto?.stop(),
    bundle ? rm(bundle.dir, { recursive: true, force: true }) : undefined,
    cdkOut ? rm(cdkOut, { recursive: true, force: true }) : undefined,
  ]);
});

describe('the bundled HPA handler, invoked as Lambda invokes it', () => {
  it('is the code and configuration `cdk synth` deploys', () => {
    if (!bundle) throw new Error('no bundle');
    // The test's esbuild run with the copied options made exactly CDK's asset.
    const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(
      sha256(bundle.file),
      "the test's bundle differs from CDK's: CDK_HPA_BUNDLING (support/bundle-handler.ts) no longer " +
        "matches ClusterHpaFunction's bundling props",
    ).toBe(sha256(join(deployed.assetDir, 'index.mjs')));
    // /var/task holds the bundle and its source map only: no node_modules to fall back on.
    expect(readdirSync(deployed.assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(readdirSync(bundle.dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    expect(bundle.warnings).toEqual([]);
    // `index.handler` is what was imported and called.
    expect(deployed.handler).toBe('index.handler');
    expect(typeof lambda.handler).toBe('function');
    // The runtime's Node is the one running this test (npm scripts run the pinned node, not the system's).
    expect(deployed.runtime).toBe(`nodejs${process.versions.node.split('.')[0]}.x`);
    // The stack resolved the cluster as stated above, and that is what the function parses.
    expect(deployed.cluster).toEqual(config);
    expect(JSON.parse(String(deployed.environment[HPA_ENV.cluster]))).toEqual(config);

    // Everything else (the AWS SDK, client-node, Powertools, zod) is inside.
    expect(nonBuiltinImports(bundle.metafile).sort()).toEqual(OPTIONAL_RUNTIME_IMPORTS);
    const inputs = Object.keys(bundle.metafile.inputs);
    for (const dependency of [
      '@aws-sdk/client-dynamodb',
      '@aws-sdk/client-secrets-manager',
      '@kubernetes/client-node',
      '@aws-lambda-powertools/logger',
    ]) {
      expect(inputs.some((i) => i.includes(`node_modules/${dependency}/`))).toBe(true);
    }
  });

  it('runs a dry run (the cold start): reports it would rescale and changes nothing', async () => {
    const before = await clusterState();
    const { response, awsRequestId, lines } = await invoke({ cluster: CLUSTER, dryRun: true });
    if (!response.ok) throw new Error(response.error);
    expect(response).toMatchObject({ cluster: CLUSTER, dryRun: true, status: 'ran' });
    expect(response.ticks).toHaveLength(1);
    expect(response.ticks[0]?.outcomes).toEqual([
      expect.objectContaining({
        kind: 'HorizontalAutoscaler',
        namespace: NS,
        name: 'web',
        action: 'would-rescale',
        currentReplicas: 2,
        desiredReplicas: 4,
        reason: CPU_ABOVE,
      }),
    ]);
    expect(response.summary).toContain('(dry run: nothing changed)');
    expect(response.summary).toContain('1 would rescale');
    expect(response.summary).toContain(`tpa ${NS}/web: 2 → 4 [would-rescale] ${CPU_ABOVE}`);

    // No scale, no status, no Event, no history or audit record; the lease was given back.
    const after = await clusterState();
    expect(after).toEqual(before);
    expect(after.replicas).toBe(2);
    expect(after.status).toBeUndefined();
    expect(after.items).toEqual([]);

    // Powertools wrote JSON lines with the invocation's context; this was the cold start.
    expect(lines.find((l) => l.message === 'invocation done')).toMatchObject({
      level: 'INFO',
      service: HPA_SERVICE_NAME,
      cold_start: true,
      function_name: FUNCTION_NAME,
      function_request_id: awsRequestId,
      status: 'ran',
      summary: response.summary,
    });
    expect(lines.filter((l) => l.level === 'WARN' || l.level === 'ERROR')).toEqual([]);
  });

  it('runs one tick: scales to upstream’s answer, writes status, an Event, the history and the marker', async () => {
    const started = Date.now();
    const { response, awsRequestId, lines } = await invoke({ cluster: CLUSTER, ticks: 1 });
    const ended = Date.now();
    if (!response.ok) throw new Error(response.error);
    expect(lines.filter((l) => l.level === 'WARN' || l.level === 'ERROR')).toEqual([]);
    expect(response).toMatchObject({ cluster: CLUSTER, dryRun: false, status: 'ran' });
    expect(response.ticks).toHaveLength(1);
    const tick = response.ticks[0];
    if (!tick) throw new Error('no tick');
    expect(tick.outcomes).toEqual([
      {
        kind: 'HorizontalAutoscaler',
        namespace: NS,
        name: 'web',
        currentReplicas: 2,
        desiredReplicas: 4,
        action: 'rescaled',
        reason: CPU_ABOVE,
      },
    ]);
    expect(tick.counts).toMatchObject({ rescaled: 1, statusWrites: 1, stateWrites: 3, events: 1 });
    expect(response.summary).toContain(`tpa ${NS}/web: 2 → 4 [rescaled] ${CPU_ABOVE}`);
    expect(response.summary).not.toContain('dry run');

    // The Deployment: upstream's answer (6 proposed, limited to 4 on the first scale-up).
    expect((await readDeployment(admin, NS, 'web')).spec.replicas).toBe(4);

    // The autoscaler's status, written by user `tideplane` through the status subresource.
    const autoscaler = await readAutoscaler(admin, NS, 'web');
    expect(autoscaler.status).toMatchObject({
      currentReplicas: 2,
      desiredReplicas: 4,
      currentMetrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', current: { averageUtilization: 180, averageValue: '180m' } },
        },
      ],
    });
    const lastScale = Date.parse(autoscaler.status?.lastScaleTime ?? '');
    expect(lastScale).toBeGreaterThanOrEqual(Math.floor(started / SECOND) * SECOND);
    expect(lastScale).toBeLessThanOrEqual(ended);
    expect(autoscaler.status?.conditions?.find((c) => c.type === 'AbleToScale')).toMatchObject({
      status: 'True',
      reason: 'SucceededRescale',
      message: 'the HPA controller was able to update the target scale to 4',
    });
    expect(autoscaler.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: 'tideplane', subresource: 'status' }),
    );

    // The Event, reported by this function (its name is the Event's reportingInstance).
    const events = await autoscalerEvents(admin, NS, 'web');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Normal',
      reason: 'SuccessfulRescale',
      action: 'Rescale',
      note: `New size: 4; reason: ${CPU_ABOVE}`,
      reportingController: 'tideplane.io/hpa',
      reportingInstance: FUNCTION_NAME,
      regarding: {
        apiVersion: HA_API_VERSION,
        kind: 'HorizontalAutoscaler',
        namespace: NS,
        name: 'web',
        uid: autoscaler.metadata.uid,
      },
    });

    // The identity came from the kubeconfig in Secrets Manager: pod metrics were read as `tideplane`.
    expect(
      cluster?.metrics?.requests.filter((r) => r.url.startsWith('/apis/metrics.k8s.io/v1beta1/pods')).at(-1),
    ).toMatchObject({ user: 'tideplane', status: 200 });

    // DynamoDB: the history (upstream's initial recommendation 2 as the open run, this tick's 6 as a
    // sample) and the cluster's tick marker, both at the tick's time; and the audit record.
    const t = tick.time;
    expect(await store.query(CLUSTER, 'hpa#')).toEqual([
      {
        cluster: CLUSTER,
        sk: `hpa#tpa#${NS}/web`,
        version: 1,
        expiresAt: expect.any(Number),
        data: {
          recommendations: [{ timestamp: t, replicas: 6 }],
          scaleUpEvents: [],
          scaleDownEvents: [],
          open: 2,
          openSince: t,
        },
      },
      {
        cluster: CLUSTER,
        sk: HPA_TICK_KEY,
        version: 1,
        expiresAt: Math.floor(t / SECOND) + HPA_STATE_TTL_SECONDS,
        data: { at: t },
      },
    ]);
    const [history] = await store.query(CLUSTER, 'hpa#tpa#');
    expect(history?.expiresAt).toBeGreaterThanOrEqual(Math.floor(t / SECOND) + HPA_STATE_TTL_SECONDS);
    expect(history?.expiresAt).toBeLessThanOrEqual(Math.ceil(ended / SECOND) + HPA_STATE_TTL_SECONDS);
    const decisions = await store.query(CLUSTER, 'decision#hpa#');
    expect(decisions).toEqual([
      expect.objectContaining({
        sk: `decision#hpa#${new Date(t).toISOString()}#${NS}/web`,
        data: expect.objectContaining({ autoscaler: `${NS}/web`, from: 2, to: 4, reason: CPU_ABOVE }),
      }),
    ]);

    // The same module instance answered: a warm invocation, not a cold start.
    expect(lines.find((l) => l.message === 'invocation done')).toMatchObject({
      cold_start: false,
      function_request_id: awsRequestId,
    });
  });

  it.each([
    ['ticks out of range', { cluster: CLUSTER, ticks: 0 }, /^invalid event — ticks: /],
    ['an unknown field', { cluster: CLUSTER, bogus: 1 }, /^invalid event — .*"bogus"/],
    ['a cluster that is not a string', { cluster: 5 }, /^invalid event — cluster: .*expected string/],
  ])('refuses an event with %s, naming the field, and changes nothing', async (_what, event, message) => {
    const before = await clusterState();
    const { response, awsRequestId, lines } = await invoke(event);
    expect(response.ok).toBe(false);
    expect(response.ok ? undefined : response.error).toMatch(message);
    expect(await clusterState()).toEqual(before);
    // Refused with a warning carrying the same message and this invocation's request id.
    expect(lines.find((l) => l.message === 'event refused')).toMatchObject({
      level: 'WARN',
      function_request_id: awsRequestId,
      error: response.ok ? undefined : response.error,
    });
  });

  it('never prints the secret: every line is Powertools JSON and none holds the token', () => {
    const printed = output.join('');
    const lines = printed.split('\n').filter((l) => l.trim() !== '');
    // The capture saw the function's logs (a check on the capture itself), all of them structured.
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      expect(() => JSON.parse(line), `not a JSON line: ${line.slice(0, 200)}`).not.toThrow();
      expect(JSON.parse(line)).toMatchObject({ service: HPA_SERVICE_NAME });
    }
    // DEBUG was on, so the line about the kubeconfig secret was printed: with the ARN only.
    expect(lines.some((l) => l.includes(secretArn))).toBe(true);
    expect(printed).not.toContain(tideplaneToken);
    expect(printed).not.toContain(kubeconfig);
    expect(printed).not.toContain(JSON.stringify(kubeconfig).slice(1, -1));
  });
});
