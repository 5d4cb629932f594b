import { z } from 'zod';
import { type NetworkInput, planNetwork } from '../network/plan';
import { controlPlaneSchema } from './control-plane';
import { hpaOverridesSchema, hpaSettingsSchema } from './hpa-settings';
import { nodePoolsSchema } from './node-pools';
import { quotasSchema } from './quotas';
import { vpaSchema } from './vpa';

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, 'lower-case letters, digits and "-", at most 40 characters');

const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
    'a Secrets Manager ARN',
  );

const cidr = z
  .string()
  .regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d|[12]\d|3[0-2])$/, 'an IPv4 CIDR like 10.2.0.0/16')
  .refine(
    (value) => (value.split('/')[0] ?? '').split('.').every((octet) => Number(octet) <= 255),
    'octets are 0–255',
  );

/** How the Lambda reaches the cluster's API server. */
export const clusterAccessSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('kubeconfig'),
      secretArn: secretArn.describe(
        'Secret whose string value is a kubeconfig (its current context is used).',
      ),
    })
    .strict(),
  z
    .object({
      kind: z.literal('token'),
      endpoint: z.url({ protocol: /^https$/ }).describe('API server URL, https only.'),
      secretArn: secretArn.describe('Secret whose string value is a bearer token.'),
      caData: z
        .string()
        .optional()
        .describe('Base64 PEM of the API server CA; the system trust store if unset.'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('eks'),
      clusterName: z
        .string()
        .min(1)
        .describe('EKS cluster name; the token is minted from the function role.'),
      endpoint: z.url({ protocol: /^https$/ }).describe('The EKS API server endpoint.'),
      caData: z.string().min(1).describe('Base64 PEM of the cluster CA (certificateAuthority.data).'),
    })
    .strict(),
]);

export const vpcSchema = z
  .object({
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, 'a VPC id like vpc-0abc'),
    subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'a subnet id like subnet-0abc')).min(1),
    securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/, 'a security group id like sg-0abc')).min(1),
  })
  .strict();

/** The network plan's input from a cluster's `network` section (optional fields left out when unset). */
export function networkInputOf(network: {
  clusterCidr: string;
  nodeCidrMaskSize: number;
  allowNarrowNodeCidr: boolean;
  serviceCidr?: string | undefined;
  maxPodsPerNode?: number | undefined;
}): NetworkInput {
  return {
    clusterCidr: network.clusterCidr,
    nodeCidrMaskSize: network.nodeCidrMaskSize,
    allowNarrowNodeCidr: network.allowNarrowNodeCidr,
    ...(network.serviceCidr ? { serviceCidr: network.serviceCidr } : {}),
    ...(network.maxPodsPerNode ? { maxPodsPerNode: network.maxPodsPerNode } : {}),
  };
}

export const networkSchema = z
  .object({
    clusterCidr: cidr.describe('Pod network of the cluster.'),
    nodeCidrMaskSize: z
      .number()
      .int()
      .min(16)
      .max(30)
      .default(24)
      .describe('Prefix length of each node’s pod CIDR (kube-controller-manager --node-cidr-mask-size).'),
    serviceCidr: cidr.optional().describe('The service network, when it lies inside the cluster CIDR.'),
    maxPodsPerNode: z.number().int().min(1).optional().describe('Overrides the computed max pods per node.'),
    allowNarrowNodeCidr: z
      .boolean()
      .default(false)
      .describe('Allow node ranges narrower than /26 (/27, /28).'),
  })
  .strict()
  .superRefine((network, ctx) => {
    const result = planNetwork(networkInputOf(network));
    if (!result.ok) {
      for (const problem of result.problems) {
        const field = problem.slice(0, problem.indexOf(':'));
        ctx.addIssue({ code: 'custom', path: [field], message: problem.slice(problem.indexOf(':') + 2) });
      }
    }
  });

/** The placeholders of a requests-per-second query template (shared/adapters/metrics/requests-per-second.ts). */
const RPS_PLACEHOLDERS = ['hosts', 'hostnames', 'namespace', 'name', 'backend', 'weight'];

/**
 * Where the HPA loop's custom metric sources are (see shared/adapters/metrics/ANNOTATIONS.md). A source
 * without a section here is off, and HPA metrics that name it fail with a clear message. Credentials
 * only come from Secrets Manager.
 */
export const metricSourcesSchema = z
  .object({
    prometheus: z
      .object({
        url: z.url().describe('Prometheus base URL (also through the API server’s service proxy).'),
        bearerTokenSecretArn: secretArn.optional().describe('Secret holding a bearer token.'),
        basicAuthSecretArn: secretArn
          .optional()
          .describe('Secret holding JSON {"username", "password"} for basic auth.'),
        caData: z.string().optional().describe('Base64 PEM of the CA that signed the server (private PKI).'),
        timeoutMs: z.number().int().min(100).max(30_000).optional(),
        requestsPerSecond: z
          .object({
            enabled: z
              .boolean()
              .default(true)
              .describe(
                'Answer Object metrics `requests-per-second` on an Ingress or RouteGroup from this Prometheus ' +
                  '(off: they go to the custom metrics API, e.g. a kube-metrics-adapter still installed).',
              ),
            queryTemplate: z
              .string()
              .min(1)
              .refine(
                (t) => [...t.matchAll(/\$\{([^}]*)\}/g)].every((m) => RPS_PLACEHOLDERS.includes(m[1] ?? '')),
                `unknown placeholder: use ${RPS_PLACEHOLDERS.map((p) => `$\{${p}}`).join(', ')}`,
              )
              .optional()
              .describe(
                'PromQL template for other ingress controllers than skipper, with placeholders for the ' +
                  'hosts and the weight (see shared/adapters/metrics/ANNOTATIONS.md).',
              ),
          })
          .strict()
          .optional()
          .describe('The requests-per-second collector (kube-metrics-adapter’s skipper collector).'),
      })
      .strict()
      .optional(),
    influxdb: z
      .object({
        url: z.url(),
        tokenSecretArn: secretArn.optional().describe('Secret holding an InfluxDB 2.x token.'),
        caData: z.string().optional().describe('Base64 PEM of the CA that signed the server (private PKI).'),
        org: z.string().optional(),
        database: z.string().optional().describe('InfluxDB 1.x database for InfluxQL queries.'),
        language: z.enum(['flux', 'influxql']).default('flux'),
        timeoutMs: z.number().int().min(100).max(30_000).optional(),
      })
      .strict()
      .optional(),
    sqs: z
      .object({
        queueArns: z
          .array(
            z
              .string()
              .regex(
                /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_*?.-]+$/,
                'an SQS queue ARN (wildcards allowed)',
              ),
          )
          .min(1)
          .describe('Queues the function may read attributes of (IAM scope).'),
      })
      .strict()
      .optional(),
    cloudwatch: z
      .object({ enabled: z.boolean().default(true) })
      .strict()
      .optional()
      .describe('CloudWatch GetMetricData (IAM allows it only on every resource).'),
    awsRoleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN')
      .optional()
      .describe('Role the SQS and CloudWatch sources assume (e.g. in the account of the queues).'),
    jsonPath: z
      .object({ enabled: z.boolean().default(true) })
      .strict()
      .optional()
      .describe('JSON from pods (needs the function in a VPC that reaches pod IPs).'),
  })
  .strict();

export const clusterSchema = z
  .object({
    name: dnsLabel.describe(
      'Unique within the config; names the schedule, the function and the state partition.',
    ),
    access: clusterAccessSchema,
    vpc: vpcSchema.optional().describe('Run the functions in this VPC (needed for private API endpoints).'),
    network: networkSchema.optional(),
    enabled: z.boolean().default(true).describe('Kill switch: false stops every loop for this cluster.'),
    dryRun: z
      .boolean()
      .default(false)
      .describe('Decide and report, but change nothing in the cluster or AWS.'),
    hpa: hpaOverridesSchema.optional().describe('Overrides of the HPA settings for this cluster.'),
    metrics: metricSourcesSchema.optional().describe('Custom metric sources of the HPA loop.'),
    nodePools: nodePoolsSchema
      .optional()
      .describe('The node-pool loop (scale-up, fallback); absent: no node-pool function.'),
    controlPlane: controlPlaneSchema
      .optional()
      .describe(
        'The control-plane loop (instance-type or EKS tier swaps); absent: no control-plane function.',
      ),
    vpa: vpaSchema
      .optional()
      .describe('The VPA loop (recommendations and updates); absent: no VPA function.'),
  })
  .strict();

export const regionSchema = z
  .object({
    name: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region like eu-central-1'),
    clusters: z.array(clusterSchema).min(1),
    quotas: quotasSchema
      .optional()
      .describe('The quota loop of this account and region; absent: no quota function.'),
  })
  .strict();

export const accountSchema = z
  .object({
    id: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
    name: dnsLabel.optional(),
    regions: z.array(regionSchema).min(1),
  })
  .strict();

export const deploymentConfigSchema = z
  .object({
    version: z.literal(1),
    defaults: z
      .object({ hpa: hpaSettingsSchema.default(hpaSettingsSchema.parse({})) })
      .strict()
      .optional(),
    accounts: z.array(accountSchema).min(1),
  })
  .strict()
  .superRefine((config, ctx) => {
    const seen = new Map<string, string>();
    for (const [a, account] of config.accounts.entries()) {
      for (const [r, region] of account.regions.entries()) {
        for (const [c, cluster] of region.clusters.entries()) {
          const where = `accounts[${a}].regions[${r}].clusters[${c}]`;
          const first = seen.get(cluster.name);
          if (first !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['accounts', a, 'regions', r, 'clusters', c, 'name'],
              message: `cluster name "${cluster.name}" is already used at ${first}`,
            });
          } else {
            seen.set(cluster.name, where);
          }
        }
      }
    }
  });

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
export type ClusterAccess = z.infer<typeof clusterAccessSchema>;
export type MetricSourcesConfig = z.infer<typeof metricSourcesSchema>;
