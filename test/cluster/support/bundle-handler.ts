/**
 * The HPA handler as it ships: bundled by esbuild with the options `ClusterHpaFunction`
 * (infra/constructs/cluster-hpa-function.ts) hands to CDK's `NodejsFunction`, and loaded by Node's own
 * ES module loader, as the Lambda Node.js runtime loads `index.mjs`.
 */
import { mkdtemp } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { Script, constants as vmConstants } from 'node:vm';
import type { CfnElement } from 'aws-cdk-lib';
import type { Context } from 'aws-lambda';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { buildApp } from '../../../infra/build-app';
import { HPA_HANDLER_ENTRY, type LogLevel } from '../../../infra/constructs/cluster-hpa-function';
import type { ResolvedCluster } from '../../../shared/config/load';
import type { HpaInvocationResponse } from '../../../shared/runtime/hpa-invocation';

/** The repository root: CDK runs esbuild there (`projectRoot`), so tsconfig.json is found the same way. */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A COPY of the `bundling` props of `ClusterHpaFunction` (the construct keeps them inline and its
 * `ESM_REQUIRE_BANNER` private, so they cannot be imported), translated to esbuild's JS API the way
 * aws-cdk-lib's `Bundling` turns them into CLI flags:
 *
 *   format ESM            --format=esm, output file index.mjs
 *   target 'node24'       --target=node24 (and always --platform=node, --bundle)
 *   mainFields            --main-fields=module,main
 *   banner                --banner:js=<the createRequire banner>
 *   minify, sourceMap     --minify --sourcemap
 *   sourcesContent false  --sources-content=false
 *   bundleAwsSDK true, externalModules []   no --external at all: the SDK is bundled
 *
 * test/cluster/lambda-bundle.e2e.test.ts checks that these make, byte for byte, the asset CDK bundles.
 * Keep in step with the construct until it exports them.
 */
export const CDK_HPA_BUNDLING = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as tideplaneCreateRequire } from 'node:module'; const require = tideplaneCreateRequire(import.meta.url);",
  },
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
} as const satisfies BuildOptions;

export interface HandlerBundle {
  /** The temp folder holding only the artifact (no node_modules next to it, as in /var/task). */
  dir: string;
  /** `<dir>/index.mjs`. */
  file: string;
  /** What esbuild reported: which inputs went in, what the output imports at run time. */
  metafile: Metafile;
  /** esbuild's warnings, as text (the CDK CLI run prints them and carries on). */
  warnings: string[];
}

/** Bundles `functions/hpa/handler.ts` into a fresh temp folder as `index.mjs` (+ `index.mjs.map`). */
export async function bundleHpaHandler(entry: string = HPA_HANDLER_ENTRY): Promise<HandlerBundle> {
  const dir = await mkdtemp(join(tmpdir(), 'tideplane-hpa-bundle-'));
  const file = join(dir, 'index.mjs');
  const result = await build({
    ...CDK_HPA_BUNDLING,
    mainFields: [...CDK_HPA_BUNDLING.mainFields],
    external: [...CDK_HPA_BUNDLING.external],
    entryPoints: [entry],
    outfile: file,
    absWorkingDir: REPO_ROOT,
    // Reporting only: neither option changes the emitted code.
    metafile: true,
    logLevel: 'silent',
  });
  return {
    dir,
    file,
    metafile: result.metafile,
    warnings: result.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`),
  };
}

/** The HPA function of one cluster as `cdk synth` makes it: what Lambda would be given. */
export interface SynthesizedHpaFunction {
  /** The asset folder CDK bundled (its own esbuild run): the code Lambda would run. */
  assetDir: string;
  /** `index.handler`. */
  handler: string;
  /** e.g. `nodejs24.x`. */
  runtime: string;
  memorySize: number;
  timeoutSeconds: number;
  /** The function's environment variables, CloudFormation intrinsics (e.g. the table's import) unresolved. */
  environment: Record<string, unknown>;
  /** The cluster as the stack resolved it from the config (what it passes as `TIDEPLANE_CLUSTER`). */
  cluster: ResolvedCluster;
}

/**
 * Synthesizes the whole app from a deployment config document into `outdir`, as `cdk synth` does
 * (bundling included, cdk-nag checks included), and returns the HPA function of `clusterName`.
 */
export function synthesizeHpaFunction(
  document: unknown,
  clusterName: string,
  options: { outdir: string; logLevel?: LogLevel },
): SynthesizedHpaFunction {
  const { app, stacks } = buildApp(document, {
    outdir: options.outdir,
    ...(options.logLevel ? { stackProps: { logLevel: options.logLevel } } : {}),
  });
  const stack = stacks.find((s) => s.clusters.has(clusterName));
  const loops = stack?.clusters.get(clusterName);
  if (!stack || !loops) throw new Error(`no stack has cluster ${clusterName}`);
  const assembly = app.synth();
  // The cluster's loops are in its own stack.
  const template = assembly.getStackArtifact(loops.artifactId).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const logicalId = loops.getLogicalId(loops.hpa.function.node.defaultChild as CfnElement);
  const resource = template.Resources[logicalId];
  if (resource?.Type !== 'AWS::Lambda::Function') throw new Error(`${logicalId} is not the HPA function`);
  const props = resource.Properties as {
    Code: { S3Key: string };
    Handler: string;
    Runtime: string;
    MemorySize: number;
    Timeout: number;
    Environment: { Variables: Record<string, unknown> };
  };
  const assetHash = props.Code.S3Key.replace(/\.zip$/, '');
  return {
    assetDir: join(assembly.directory, `asset.${assetHash}`),
    handler: props.Handler,
    runtime: props.Runtime,
    memorySize: props.MemorySize,
    timeoutSeconds: props.Timeout,
    environment: props.Environment.Variables,
    cluster: loops.cluster,
  };
}

/** What the bundle's output imports at run time that is not a Node built-in (should be nothing). */
export function nonBuiltinImports(metafile: Metafile): string[] {
  return Object.values(metafile.outputs)
    .flatMap((output) => output.imports)
    .map((i) => i.path)
    .filter((path) => !isBuiltin(path));
}

/** The module shape Lambda's runtime expects of `index.handler`. */
export interface HandlerModule {
  handler: (event: unknown, context: Context) => Promise<HpaInvocationResponse>;
}

/**
 * `import()` by Node's own loader. A plain `import()` in a test file goes through vitest's module
 * runner, which transforms an `.mjs` outside node_modules instead of letting Node load it (and test
 * code runs in vm scripts, whose `import()` is the runner's too). A script compiled with
 * `USE_MAIN_CONTEXT_DEFAULT_LOADER` imports with Node's default ESM loader, as Lambda's runtime does.
 * Node flags that option as experimental once per process; that one warning is kept out of the output.
 */
function nodeImport(specifier: string): Promise<unknown> {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    const load = new Script('(specifier) => import(specifier)', {
      filename: 'tideplane-node-import.js',
      importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }).runInThisContext() as (specifier: string) => Promise<unknown>;
    return load(specifier);
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** Loads the bundle as Lambda does: a cold start of a fresh module instance per file. */
export async function importHandler(file: string): Promise<HandlerModule> {
  const module = (await nodeImport(pathToFileURL(file).href)) as Partial<HandlerModule>;
  if (typeof module.handler !== 'function') {
    throw new Error(`${file} exports no handler function (exports: ${Object.keys(module).join(', ')})`);
  }
  return module as HandlerModule;
}

/**
 * A context as the Lambda Node.js runtime passes it, for a function with `memoryLimitInMB` and a
 * timeout of `timeoutMs` starting now.
 */
export function lambdaContext(options: {
  functionName: string;
  awsRequestId: string;
  region: string;
  accountId: string;
  timeoutMs: number;
  memoryLimitInMB?: number;
}): Context {
  const deadline = Date.now() + options.timeoutMs;
  const { functionName, awsRequestId, region, accountId } = options;
  const unsupported = () => {
    throw new Error('the callback API is not used by an async handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 512),
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Everything written to stdout, stderr and the console while `run` runs (CloudWatch gets all of it).
 * When `run` throws, the output so far is appended to the error's message.
 */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const keep = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
  };
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((s) => s.write);
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const consoleMethods = methods.map((m) => console[m]);
  for (const stream of streams) {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  }
  for (const method of methods) {
    console[method] = (...args: unknown[]) => keep(`${format(...args)}\n`);
  }
  try {
    const result = await run();
    return { result, output: chunks.join('') };
  } catch (error) {
    if (error instanceof Error) error.message += `\n--- output of the failed run ---\n${chunks.join('')}`;
    throw error;
  } finally {
    streams.forEach((stream, i) => {
      stream.write = writes[i] as typeof stream.write;
    });
    methods.forEach((method, i) => {
      console[method] = consoleMethods[i] as (typeof console)[typeof method];
    });
  }
}
