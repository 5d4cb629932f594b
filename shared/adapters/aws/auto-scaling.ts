/**
 * The Auto Scaling port on `@aws-sdk/client-auto-scaling`, with `@aws-sdk/client-ec2` for the launch
 * templates that say which instance type a group launches.
 *
 * `describeGroups` asks `DescribeAutoScalingGroups` for at most GROUP_NAMES_PER_CALL names a call
 * (`MaxRecords` must be raised with them: by default the API takes only 50 names) and follows every
 * `NextToken`. A group's instance types are its mixed-instances overrides in order; without overrides
 * that name a type (attribute-based `InstanceRequirements` name none), the type of its launch template
 * version (`DescribeLaunchTemplateVersions`), else of its launch configuration
 * (`DescribeLaunchConfigurations`). A numbered template version never changes, so it is cached for the
 * adapter's life; `$Latest` and `$Default` can move at any time and are asked at most once per
 * `describeGroups`. A template or version that is gone leaves the group's types empty (reported by the
 * loop, not thrown). The group's own launch template, target groups and suspended processes are passed
 * through as they are, for the control-plane swap.
 *
 * Throttling is retried by the SDK first (build the clients with AUTO_SCALING_CLIENT_RETRY); what is
 * left is thrown as an `AutoScalingError` whose `reason` tells the loop whether next tick may help.
 *
 * IAM: `autoscaling:DescribeAutoScalingGroups`, `autoscaling:DescribeScalingActivities`,
 * `autoscaling:DescribeLaunchConfigurations`, `ec2:DescribeLaunchTemplateVersions` (all `Resource: *`:
 * no resource-level permissions), `autoscaling:SetDesiredCapacity` and
 * `autoscaling:TerminateInstanceInAutoScalingGroup` (both conditionable on the group's tags).
 */
import {
  type Activity,
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  DescribeScalingActivitiesCommand,
  type LaunchTemplateSpecification,
  type AutoScalingGroup as SdkAutoScalingGroup,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import {
  AutoScalingError,
  type AutoScalingErrorReason,
  type AutoScalingGroup,
  type AutoScalingInstance,
  type AutoScalingPort,
  type PurchaseOptions,
  type ScalingActivity,
} from '../../ports/auto-scaling';
import { awsErrorMessage, awsErrorName, isForbidden, isThrottle, isTimeout } from './errors';

/** Attempts per call (the first included) before throttling or a 5xx reaches the adapter. */
export const AUTO_SCALING_MAX_ATTEMPTS = 3;
/**
 * Retry settings for the Auto Scaling and EC2 clients this adapter is given: the SDK's standard mode
 * backs off on throttling with jitter, so a loop sees `Throttled` only when a few tries all failed.
 *
 * @example
 * const autoScaling = new AutoScalingClient({ region, ...AUTO_SCALING_CLIENT_RETRY });
 * const ec2 = new EC2Client({ region, ...AUTO_SCALING_CLIENT_RETRY });
 * const port = new AwsAutoScaling({ autoScaling, ec2 });
 */
export const AUTO_SCALING_CLIENT_RETRY = {
  retryMode: 'standard',
  maxAttempts: AUTO_SCALING_MAX_ATTEMPTS,
} as const;

/** `DescribeAutoScalingGroups` takes up to `MaxRecords` names, and `MaxRecords` at most 100. */
export const GROUP_NAMES_PER_CALL = 100;
/** `DescribeLaunchConfigurations` takes at most 50 names. */
export const LAUNCH_CONFIGURATION_NAMES_PER_CALL = 50;
/** The largest page `DescribeAutoScalingGroups`, `DescribeLaunchConfigurations` and `DescribeScalingActivities` serve. */
export const MAX_RECORDS = 100;
/** Pages followed per `DescribeAutoScalingGroups` question (10,000 groups); more means a token loop. */
export const MAX_GROUP_PAGES = 100;
/**
 * Pages of activities read per call (1,000 activities). A group with more since `since` is failing
 * fast; its newest activities, the ones a loop reads, are kept and the older rest is left unread.
 */
export const MAX_ACTIVITY_PAGES = 10;

/** `InstancesDistribution` defaults AWS applies to fields a mixed-instances policy leaves out. */
export const DEFAULT_ON_DEMAND_BASE_CAPACITY = 0;
export const DEFAULT_ON_DEMAND_PERCENTAGE_ABOVE_BASE = 100;
export const DEFAULT_SPOT_ALLOCATION_STRATEGY = 'lowest-price';

/** A launch template spec without `Version` means the template's default version. */
const DEFAULT_TEMPLATE_VERSION = '$Default';
const MOVING_VERSION = /^\$(Latest|Default)$/;
/** EC2's answers for a template or template version that does not exist (any more). */
const TEMPLATE_GONE =
  /^InvalidLaunchTemplate(Id|Name)\.(NotFound|NotFoundException|VersionNotFound|Malformed)$/;
/** The SDK names modelled faults `...Fault`; the wire code lacks the suffix. */
const BUSY = /^(ScalingActivityInProgress|ResourceContention)(Fault)?$/;
/**
 * Auto Scaling has no NotFound code: a missing group ("AutoScalingGroup name not found - ...") or instance
 * ("Instance Id not found - ...") is a ValidationError like a refused value, told apart by its message.
 */
const NOT_FOUND_MESSAGE = /not found/i;

/** What a launch template version or launch configuration says about the instances it launches. */
interface LaunchSpec {
  instanceType?: string;
  spot: boolean;
}

function reasonOf(error: unknown): AutoScalingErrorReason {
  if (isThrottle(error)) return 'Throttled';
  if (isForbidden(error)) return 'Forbidden';
  if (isTimeout(error)) return 'Timeout';
  const name = awsErrorName(error);
  if (BUSY.test(name)) return 'Busy';
  if (name === 'ValidationError')
    return NOT_FOUND_MESSAGE.test(awsErrorMessage(error)) ? 'NotFound' : 'Invalid';
  return 'Unavailable';
}

/**
 * The `AutoScalingError` for a failed call: throttling, permissions and timeouts by the shared
 * classification, then Auto Scaling's own codes; anything else (5xx, a reset connection) is `Unavailable`.
 */
export function toAutoScalingError(operation: string, error: unknown): AutoScalingError {
  if (error instanceof AutoScalingError) return error;
  return new AutoScalingError(reasonOf(error), `${operation}: ${awsErrorMessage(error)}`, { cause: error });
}

/** A group's `PurchaseOptions` from its mixed-instances policy, or from whether it launches spot. */
export function purchaseOptionsOf(group: SdkAutoScalingGroup, spot: boolean): PurchaseOptions {
  const policy = group.MixedInstancesPolicy;
  if (!policy) {
    return {
      onDemandBaseCapacity: DEFAULT_ON_DEMAND_BASE_CAPACITY,
      // A launch template with spot market options (or a launch configuration with a spot price)
      // launches only spot instances.
      onDemandPercentageAboveBase: spot ? 0 : DEFAULT_ON_DEMAND_PERCENTAGE_ABOVE_BASE,
    };
  }
  const distribution = policy.InstancesDistribution ?? {};
  return {
    onDemandBaseCapacity: distribution.OnDemandBaseCapacity ?? DEFAULT_ON_DEMAND_BASE_CAPACITY,
    onDemandPercentageAboveBase:
      distribution.OnDemandPercentageAboveBaseCapacity ?? DEFAULT_ON_DEMAND_PERCENTAGE_ABOVE_BASE,
    spotAllocationStrategy: distribution.SpotAllocationStrategy ?? DEFAULT_SPOT_ALLOCATION_STRATEGY,
  };
}

/** The instance types a mixed-instances policy's overrides name, in order, without repeats. */
export function overrideInstanceTypes(group: SdkAutoScalingGroup): string[] {
  const types = (group.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []).flatMap((override) =>
    override.InstanceType ? [override.InstanceType] : [],
  );
  return [...new Set(types)];
}

/** The launch template a group launches from: its own, or its mixed-instances policy's. */
function templateOf(group: SdkAutoScalingGroup): LaunchTemplateSpecification | undefined {
  const spec =
    group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  return spec?.LaunchTemplateId || spec?.LaunchTemplateName ? spec : undefined;
}

/**
 * The group's own launch template, as `AutoScalingGroup.launchTemplate`: not a mixed-instances policy's
 * (real groups never have both; a fake that reports both is read as mixed), and only with its ID, which
 * the control-plane swap needs to make a new version.
 */
export function launchTemplateOf(group: SdkAutoScalingGroup): Pick<AutoScalingGroup, 'launchTemplate'> {
  const spec = group.LaunchTemplate;
  if (!spec?.LaunchTemplateId || group.MixedInstancesPolicy) return {};
  return {
    launchTemplate: {
      launchTemplateId: spec.LaunchTemplateId,
      ...(spec.LaunchTemplateName ? { launchTemplateName: spec.LaunchTemplateName } : {}),
      version: spec.Version || DEFAULT_TEMPLATE_VERSION,
    },
  };
}

function templateKey(template: { id?: string; name?: string }, version: string): string {
  return template.id ? `id:${template.id}#${version}` : `name:${template.name}#${version}`;
}

function toActivity(activity: Activity): ScalingActivity {
  return {
    activityId: activity.ActivityId ?? '',
    groupName: activity.AutoScalingGroupName ?? '',
    startTime: activity.StartTime?.getTime() ?? 0,
    ...(activity.EndTime ? { endTime: activity.EndTime.getTime() } : {}),
    statusCode: activity.StatusCode ?? '',
    ...(activity.StatusMessage ? { statusMessage: activity.StatusMessage } : {}),
    description: activity.Description ?? '',
    cause: activity.Cause ?? '',
  };
}

function toInstance(instance: NonNullable<SdkAutoScalingGroup['Instances']>[number]): AutoScalingInstance {
  return {
    instanceId: instance.InstanceId ?? '',
    availabilityZone: instance.AvailabilityZone ?? '',
    instanceType: instance.InstanceType ?? '',
    lifecycleState: instance.LifecycleState ?? '',
    healthStatus: instance.HealthStatus === 'Unhealthy' ? 'Unhealthy' : 'Healthy',
  };
}

/**
 * @example
 * const port = new AwsAutoScaling({
 *   autoScaling: new AutoScalingClient({ region, ...AUTO_SCALING_CLIENT_RETRY }),
 *   ec2: new EC2Client({ region, ...AUTO_SCALING_CLIENT_RETRY }),
 * });
 * const groups = await port.describeGroups(['workers-eu-central-1a']);
 */
export class AwsAutoScaling implements AutoScalingPort {
  /** Numbered launch template versions by `templateKey`, by template id and by name. */
  private readonly templateVersions = new Map<string, LaunchSpec>();

  private readonly autoScaling: AutoScalingClient;
  private readonly ec2: EC2Client;

  constructor(clients: { autoScaling: AutoScalingClient; ec2: EC2Client }) {
    this.autoScaling = clients.autoScaling;
    this.ec2 = clients.ec2;
  }

  async describeGroups(names?: string[], withTagKey?: string): Promise<AutoScalingGroup[]> {
    const groups: SdkAutoScalingGroup[] = [];
    if (names === undefined) {
      groups.push(...(await this.describeGroupPages(undefined, withTagKey)));
    } else {
      const unique = [...new Set(names)].filter((name) => name !== '');
      for (let i = 0; i < unique.length; i += GROUP_NAMES_PER_CALL) {
        groups.push(
          ...(await this.describeGroupPages(unique.slice(i, i + GROUP_NAMES_PER_CALL), withTagKey)),
        );
      }
    }

    // Moving versions ($Latest, $Default) are asked once for this call, whatever number of groups use them.
    const movingVersions = new Map<string, LaunchSpec | undefined>();
    const launchConfigurations = await this.describeLaunchConfigurations(
      groups.flatMap((group) =>
        !templateOf(group) && group.LaunchConfigurationName ? [group.LaunchConfigurationName] : [],
      ),
    );
    const result: AutoScalingGroup[] = [];
    for (const group of groups) {
      let launchSpec: LaunchSpec | undefined;
      let instanceTypesError: string | undefined;
      try {
        launchSpec = await this.launchSpecOf(group, movingVersions, launchConfigurations);
      } catch (error) {
        // One group's template lookup (throttled, forbidden) must not hide every other group.
        instanceTypesError = error instanceof Error ? error.message : String(error);
      }
      const overrides = overrideInstanceTypes(group);
      const instanceTypes =
        overrides.length > 0 ? overrides : launchSpec?.instanceType ? [launchSpec.instanceType] : [];
      result.push({
        name: group.AutoScalingGroupName ?? '',
        minSize: group.MinSize ?? 0,
        maxSize: group.MaxSize ?? 0,
        desiredCapacity: group.DesiredCapacity ?? 0,
        availabilityZones: [...(group.AvailabilityZones ?? [])],
        tags: Object.fromEntries(
          (group.Tags ?? []).flatMap((tag) => (tag.Key ? [[tag.Key, tag.Value ?? '']] : [])),
        ),
        instances: (group.Instances ?? []).map(toInstance),
        instanceTypes,
        ...(instanceTypesError && instanceTypes.length === 0 ? { instanceTypesError } : {}),
        purchase: purchaseOptionsOf(group, launchSpec?.spot ?? false),
        ...launchTemplateOf(group),
        targetGroupArns: [...(group.TargetGroupARNs ?? [])],
        suspendedProcesses: (group.SuspendedProcesses ?? []).flatMap((p) =>
          p.ProcessName ? [p.ProcessName] : [],
        ),
      });
    }
    return result;
  }

  async describeScalingActivities(groupName: string, since: number): Promise<ScalingActivity[]> {
    const activities: ScalingActivity[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_ACTIVITY_PAGES; page++) {
      const output = await this.autoScaling
        .send(
          new DescribeScalingActivitiesCommand({
            AutoScalingGroupName: groupName,
            MaxRecords: MAX_RECORDS,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toAutoScalingError('DescribeScalingActivities', error);
        });
      let older = false;
      for (const sdk of output.Activities ?? []) {
        const activity = toActivity(sdk);
        if (activity.startTime >= since) activities.push(activity);
        else older = true;
      }
      nextToken = output.NextToken || undefined;
      // Activities come newest first: once one started before `since`, the next pages are all older.
      if (older || !nextToken) break;
    }
    return activities;
  }

  async setDesiredCapacity(groupName: string, desired: number): Promise<void> {
    try {
      await this.autoScaling.send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: groupName,
          DesiredCapacity: desired,
          // The loop decides when to scale; a cooldown meant for simple scaling policies must not veto it.
          HonorCooldown: false,
        }),
      );
    } catch (error) {
      throw toAutoScalingError('SetDesiredCapacity', error);
    }
  }

  /**
   * Auto Scaling answers an instance that is in no group (terminated and gone, or never one of its) with
   * ValidationError "Instance Id not found - No managed instance found for instance ID: ..." (NotFound), and
   * a decrement below the minimum with ValidationError "Currently, desiredSize equals minSize (1).
   * Terminating instance without replacement will violate group's min size constraint. ..." (Invalid).
   */
  async terminateInstance(instanceId: string, decrementDesiredCapacity: boolean): Promise<void> {
    try {
      await this.autoScaling.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: decrementDesiredCapacity,
        }),
      );
    } catch (error) {
      throw toAutoScalingError('TerminateInstanceInAutoScalingGroup', error);
    }
  }

  /** Every page of one `DescribeAutoScalingGroups` question (all groups when `names` is undefined). */
  private async describeGroupPages(
    names: string[] | undefined,
    withTagKey: string | undefined,
  ): Promise<SdkAutoScalingGroup[]> {
    const groups: SdkAutoScalingGroup[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_GROUP_PAGES; page++) {
      const output = await this.autoScaling
        .send(
          new DescribeAutoScalingGroupsCommand({
            ...(names ? { AutoScalingGroupNames: names } : {}),
            ...(withTagKey ? { Filters: [{ Name: 'tag-key', Values: [withTagKey] }] } : {}),
            MaxRecords: MAX_RECORDS,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        )
        .catch((error: unknown) => {
          throw toAutoScalingError('DescribeAutoScalingGroups', error);
        });
      groups.push(...(output.AutoScalingGroups ?? []));
      nextToken = output.NextToken || undefined;
      if (!nextToken) return groups;
    }
    throw new AutoScalingError(
      'Unavailable',
      `DescribeAutoScalingGroups: more than ${MAX_GROUP_PAGES} pages`,
    );
  }

  /** What the group's launch template version or launch configuration launches; undefined when unknown. */
  private async launchSpecOf(
    group: SdkAutoScalingGroup,
    movingVersions: Map<string, LaunchSpec | undefined>,
    launchConfigurations: Map<string, LaunchSpec>,
  ): Promise<LaunchSpec | undefined> {
    const template = templateOf(group);
    if (template) {
      // Overrides name the types, and a mixed-instances template may not ask for spot itself.
      if (group.MixedInstancesPolicy && overrideInstanceTypes(group).length > 0) return undefined;
      return this.templateVersion(template, movingVersions);
    }
    if (group.MixedInstancesPolicy) return undefined;
    return group.LaunchConfigurationName
      ? launchConfigurations.get(group.LaunchConfigurationName)
      : undefined;
  }

  private async templateVersion(
    spec: LaunchTemplateSpecification,
    movingVersions: Map<string, LaunchSpec | undefined>,
  ): Promise<LaunchSpec | undefined> {
    const template = {
      ...(spec.LaunchTemplateId ? { id: spec.LaunchTemplateId } : {}),
      ...(spec.LaunchTemplateName ? { name: spec.LaunchTemplateName } : {}),
    };
    const version = spec.Version || DEFAULT_TEMPLATE_VERSION;
    const key = templateKey(template, version);
    const moving = MOVING_VERSION.test(version);
    if (moving && movingVersions.has(key)) return movingVersions.get(key);
    if (!moving && this.templateVersions.has(key)) return this.templateVersions.get(key);

    const found = await this.describeTemplateVersion(template, version);
    if (moving) movingVersions.set(key, found?.spec);
    if (found) {
      // The version a moving alias points at is a numbered version like any other.
      if (found.id) this.templateVersions.set(templateKey({ id: found.id }, found.number), found.spec);
      if (found.name) this.templateVersions.set(templateKey({ name: found.name }, found.number), found.spec);
      if (!moving) this.templateVersions.set(key, found.spec);
    }
    return found?.spec;
  }

  /** One launch template version; undefined when the template or the version does not exist. */
  private async describeTemplateVersion(
    template: { id?: string; name?: string },
    version: string,
  ): Promise<{ spec: LaunchSpec; id?: string; name?: string; number: string } | undefined> {
    try {
      const output = await this.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          ...(template.id ? { LaunchTemplateId: template.id } : { LaunchTemplateName: template.name }),
          Versions: [version],
        }),
      );
      const found = output.LaunchTemplateVersions?.[0];
      if (!found) return undefined;
      const data = found.LaunchTemplateData;
      return {
        spec: {
          ...(data?.InstanceType ? { instanceType: data.InstanceType } : {}),
          spot: data?.InstanceMarketOptions?.MarketType === 'spot',
        },
        ...(found.LaunchTemplateId ? { id: found.LaunchTemplateId } : {}),
        ...(found.LaunchTemplateName ? { name: found.LaunchTemplateName } : {}),
        number: String(found.VersionNumber ?? version),
      };
    } catch (error) {
      if (TEMPLATE_GONE.test(awsErrorName(error))) return undefined;
      throw toAutoScalingError('DescribeLaunchTemplateVersions', error);
    }
  }

  /** The named launch configurations, asked in batches; absent ones are absent from the map. */
  private async describeLaunchConfigurations(names: string[]): Promise<Map<string, LaunchSpec>> {
    const found = new Map<string, LaunchSpec>();
    const unique = [...new Set(names)];
    for (let i = 0; i < unique.length; i += LAUNCH_CONFIGURATION_NAMES_PER_CALL) {
      const batch = unique.slice(i, i + LAUNCH_CONFIGURATION_NAMES_PER_CALL);
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_GROUP_PAGES; page++) {
        const output = await this.autoScaling
          .send(
            new DescribeLaunchConfigurationsCommand({
              LaunchConfigurationNames: batch,
              MaxRecords: MAX_RECORDS,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          )
          .catch((error: unknown) => {
            throw toAutoScalingError('DescribeLaunchConfigurations', error);
          });
        for (const configuration of output.LaunchConfigurations ?? []) {
          if (!configuration.LaunchConfigurationName) continue;
          found.set(configuration.LaunchConfigurationName, {
            ...(configuration.InstanceType ? { instanceType: configuration.InstanceType } : {}),
            spot: Boolean(configuration.SpotPrice),
          });
        }
        nextToken = output.NextToken || undefined;
        if (!nextToken) break;
      }
    }
    return found;
  }
}
