/**
 * The load-balancing port on `@aws-sdk/client-elastic-load-balancing-v2`.
 *
 * `deregisterTargets` first reads the group's registrations (`DescribeTargetHealth`) and deregisters
 * only the given instances that are registered, each with the port it was registered on: ELBv2 needs
 * the port of a registration made with a port override, and a target that is not registered (any
 * more) is then no call at all, so a retried step stays a no-op. A target that disappears between the
 * two calls (`InvalidTarget`) is taken as deregistered.
 *
 * Throttling is retried by the SDK first (build the client with AUTO_SCALING_CLIENT_RETRY from
 * ./auto-scaling); what is left is thrown as a `LoadBalancingError`.
 *
 * IAM: `elasticloadbalancing:DescribeTargetHealth` and `elasticloadbalancing:DescribeTargetGroupAttributes`
 * (`Resource: *`: Describe* actions take no resource-level permissions), and
 * `elasticloadbalancing:DeregisterTargets` (resource-level: the target group's ARN,
 * `arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>`; also `aws:ResourceTag/*`).
 */
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  LoadBalancingError,
  type LoadBalancingErrorReason,
  type LoadBalancingPort,
  type TargetHealth,
  type TargetState,
} from '../../ports/load-balancing';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** ELBv2's deregistration delay when the group does not say (its documented default). */
export const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;
const DEREGISTRATION_DELAY_ATTRIBUTE = 'deregistration_delay.timeout_seconds';

/** The SDK names modelled errors `...Exception`; the query protocol's wire code lacks the suffix. */
const NOT_FOUND = /^TargetGroupNotFound(Exception)?$/;
const INVALID_TARGET = /^InvalidTarget(Exception)?$/;
const INVALID =
  /^(ValidationError|InvalidTarget(Exception)?|InvalidConfigurationRequest(Exception)?|InvalidParameterValue|MissingParameter)$/;

const STATES: ReadonlySet<string> = new Set<TargetState>([
  'initial',
  'healthy',
  'unhealthy',
  'unused',
  'draining',
  'unavailable',
]);

function reasonOf(error: unknown): LoadBalancingErrorReason {
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error)) return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  const name = awsErrorName(error);
  if (NOT_FOUND.test(name)) return 'NotFound';
  if (INVALID.test(name)) return 'Invalid';
  // HealthUnavailable (ELBv2's own 5xx), other 5xx, a reset connection: next tick may do better.
  return 'Unavailable';
}

export function toLoadBalancingError(operation: string, error: unknown): LoadBalancingError {
  if (error instanceof LoadBalancingError) return error;
  return new LoadBalancingError(reasonOf(error), `${operation}: ${awsErrorMessage(error)}`, {
    cause: error,
  });
}

/**
 * The domain state of an SDK one. `unhealthy.draining` (an unhealthy target being deregistered) takes
 * no new connections, like `draining`; a state ELBv2 adds later counts as not serving (`unavailable`).
 */
export function toTargetState(state: string | undefined): TargetState {
  if (state === 'unhealthy.draining') return 'draining';
  return state && STATES.has(state) ? (state as TargetState) : 'unavailable';
}

function toTargetHealth(description: TargetHealthDescription): TargetHealth | undefined {
  const targetId = description.Target?.Id;
  if (!targetId) return undefined;
  const reason = description.TargetHealth?.Reason;
  return {
    targetId,
    ...(description.Target?.Port !== undefined ? { port: description.Target.Port } : {}),
    state: toTargetState(description.TargetHealth?.State),
    ...(reason ? { reason } : {}),
  };
}

/**
 * @example
 * const port = new AwsLoadBalancing(new ElasticLoadBalancingV2Client({ region, ...AUTO_SCALING_CLIENT_RETRY }));
 * const health = await port.describeTargetHealth(apiTargetGroupArn);
 */
export class AwsLoadBalancing implements LoadBalancingPort {
  constructor(private readonly client: ElasticLoadBalancingV2Client) {}

  async describeTargetHealth(targetGroupArn: string): Promise<TargetHealth[]> {
    // Not paginated: without `Targets` ELBv2 answers every registered target in one response.
    const output = await this.client
      .send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
      .catch((error: unknown) => {
        throw toLoadBalancingError('DescribeTargetHealth', error);
      });
    return (output.TargetHealthDescriptions ?? []).flatMap((d) => toTargetHealth(d) ?? []);
  }

  async deregisterTargets(targetGroupArn: string, instanceIds: string[]): Promise<void> {
    const wanted = new Set(instanceIds);
    if (wanted.size === 0) return;
    // Every target DescribeTargetHealth lists is registered (`unused` ones too: a stopped instance, a zone
    // the load balancer does not serve) except the draining ones, which are already on their way out.
    const registered = (await this.describeTargetHealth(targetGroupArn)).filter(
      (target) => wanted.has(target.targetId) && target.state !== 'draining',
    );
    if (registered.length === 0) return;
    try {
      await this.client.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: targetGroupArn,
          Targets: registered.map((target) => ({
            Id: target.targetId,
            ...(target.port !== undefined ? { Port: target.port } : {}),
          })),
        }),
      );
    } catch (error) {
      if (INVALID_TARGET.test(awsErrorName(error))) return;
      throw toLoadBalancingError('DeregisterTargets', error);
    }
  }

  async deregistrationDelaySeconds(targetGroupArn: string): Promise<number> {
    const output = await this.client
      .send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }))
      .catch((error: unknown) => {
        throw toLoadBalancingError('DescribeTargetGroupAttributes', error);
      });
    const value = output.Attributes?.find((a) => a.Key === DEREGISTRATION_DELAY_ATTRIBUTE)?.Value;
    const seconds = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
    return Number.isInteger(seconds) && seconds >= 0 ? seconds : DEFAULT_DEREGISTRATION_DELAY_SECONDS;
  }
}
