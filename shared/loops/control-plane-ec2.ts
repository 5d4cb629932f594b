/**
 * The EC2 half of the control-plane loop: reads what a swap needs to see (groups, target health, the
 * new instance's `/readyz`, nodes, the old node's pods, failed launches), starts a swap, and carries out
 * the one action its state machine asks for. The machine decides; this file only observes and acts.
 */
import {
  type Ec2SwapAction,
  type Ec2SwapObservation,
  type Ec2SwapStep,
  instancesToReplace,
  type ObservedGroup,
  recordNewVersion,
} from '../controlplane/ec2-swap';
import type { Ec2SwapRecord, SwapGroup } from '../controlplane/swap-record';
import { DRAIN_TAINT, hasDrainTaint, recordEvictionResults } from '../nodepools/drain';
import { instanceIdOf } from '../nodepools/scale-down';
import type { AutoScalingGroup } from '../ports/auto-scaling';
import type { Node, Pod } from '../ports/kubernetes';
import type { TargetState } from '../ports/load-balancing';
import type { ControlPlaneLoopDeps, Ec2ControlPlanePorts } from './control-plane-deps';

/** ELBv2's default deregistration delay, used when a target group's cannot be read. */
const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

export function awsPorts(deps: ControlPlaneLoopDeps): Ec2ControlPlanePorts {
  if (!deps.aws) throw new Error('an ec2 control plane needs the AWS ports');
  return deps.aws;
}

export function ec2Settings(deps: ControlPlaneLoopDeps) {
  const ec2 = deps.settings.ec2;
  if (!ec2) throw new Error('controlPlane.ec2 is not configured');
  return ec2;
}

/** The control-plane groups as Auto Scaling reports them, in the config's order; missing ones absent. */
export async function readGroups(deps: ControlPlaneLoopDeps): Promise<AutoScalingGroup[]> {
  const names = ec2Settings(deps).asgs;
  const groups = await awsPorts(deps).autoScaling.describeGroups(names);
  return names.flatMap((name) => groups.filter((group) => group.name === name));
}

export function targetGroupsOf(deps: ControlPlaneLoopDeps, groups: readonly AutoScalingGroup[]): string[] {
  const configured = ec2Settings(deps).targetGroupArns;
  if (configured && configured.length > 0) return [...configured];
  return [...new Set(groups.flatMap((group) => group.targetGroupArns ?? []))].sort();
}

/** Per instance, its state in each target group (absent when registered nowhere). */
export async function readTargets(
  ports: Ec2ControlPlanePorts,
  targetGroupArns: readonly string[],
): Promise<Map<string, TargetState[]>> {
  const targets = new Map<string, TargetState[]>();
  for (const arn of targetGroupArns) {
    for (const target of await ports.loadBalancing.describeTargetHealth(arn)) {
      const states = targets.get(target.targetId);
      if (states) states.push(target.state);
      else targets.set(target.targetId, [target.state]);
    }
  }
  return targets;
}

function observedGroup(group: AutoScalingGroup): ObservedGroup {
  return {
    desiredCapacity: group.desiredCapacity,
    minSize: group.minSize,
    maxSize: group.maxSize,
    ...(group.launchTemplate
      ? {
          launchTemplate: {
            launchTemplateId: group.launchTemplate.launchTemplateId,
            version: group.launchTemplate.version,
          },
        }
      : {}),
    suspendedProcesses: group.suspendedProcesses ?? [],
    instances: group.instances.map((instance) => ({
      instanceId: instance.instanceId,
      instanceType: instance.instanceType,
      lifecycleState: instance.lifecycleState,
    })),
  };
}

function nodesByInstance(nodes: readonly Node[]) {
  const byInstance = new Map<string, { name: string; uid: string; ready: boolean; tainted: boolean }>();
  for (const node of nodes) {
    const id = instanceIdOf(node.providerID);
    if (id)
      byInstance.set(id, { name: node.name, uid: node.uid, ready: node.ready, tainted: hasDrainTaint(node) });
  }
  return byInstance;
}

/** Everything the machine looks at this tick; only the calls the swap's state needs are made. */
export async function observeEc2Swap(
  deps: ControlPlaneLoopDeps,
  swap: Ec2SwapRecord,
  cache: { deregistrationDelayMs?: number },
): Promise<Ec2SwapObservation> {
  const ports = awsPorts(deps);
  const groupNames = swap.groups.map((group) => group.name);
  const [groups, nodes, targets] = await Promise.all([
    ports.autoScaling.describeGroups(groupNames),
    deps.kubernetes.listNodes(),
    readTargets(ports, swap.targetGroupArns),
  ]);
  const observed = new Map(groups.map((group) => [group.name, observedGroup(group)]));
  const byInstance = nodesByInstance(nodes);
  const readyz = new Map<string, { ready: boolean; detail?: string }>();
  let oldNodePods: Pod[] = [];
  let launchFailure: string | undefined;

  const replacing = swap.replacing;
  if (replacing?.state === 'waiting-new' || replacing?.state === 'surging') {
    const group = observed.get(replacing.group);
    const candidates = (group?.instances ?? []).filter(
      (instance) => !replacing.known.includes(instance.instanceId) && instance.lifecycleState === 'InService',
    );
    if (candidates.length > 0) {
      const described = await ports.instances.describeInstances(candidates.map((c) => c.instanceId));
      for (const instance of described) {
        if (!instance.privateIpAddress) {
          readyz.set(instance.instanceId, { ready: false, detail: 'no private IP address yet' });
          continue;
        }
        readyz.set(instance.instanceId, await ports.probe.readyz(instance.privateIpAddress));
      }
    }
    const since = replacing.surgeSince;
    if (since !== undefined) {
      const activities = await ports.autoScaling.describeScalingActivities(replacing.group, since);
      const failed = activities.find(
        (activity) => activity.statusCode === 'Failed' || activity.statusCode === 'Cancelled',
      );
      if (failed) launchFailure = failed.statusMessage ?? failed.description;
    }
  }
  if (replacing?.state === 'draining' && replacing.drain) {
    oldNodePods = await deps.kubernetes.listPods({ nodeName: replacing.drain.node });
  }

  cache.deregistrationDelayMs ??= await deregistrationDelayMs(ports, swap.targetGroupArns, deps);
  return {
    groups: observed,
    targets,
    readyz,
    nodes: byInstance,
    oldNodePods,
    ...(launchFailure !== undefined ? { launchFailure } : {}),
    deregistrationDelayMs: cache.deregistrationDelayMs,
  };
}

async function deregistrationDelayMs(
  ports: Ec2ControlPlanePorts,
  targetGroupArns: readonly string[],
  deps: ControlPlaneLoopDeps,
): Promise<number> {
  let longest = 0;
  for (const arn of targetGroupArns) {
    try {
      longest = Math.max(longest, await ports.loadBalancing.deregistrationDelaySeconds(arn));
    } catch (error) {
      deps.log.warn('could not read the deregistration delay; assuming the default', {
        cluster: deps.cluster,
        targetGroup: arn,
        error: error instanceof Error ? error.message : String(error),
      });
      longest = Math.max(longest, DEFAULT_DEREGISTRATION_DELAY_SECONDS);
    }
  }
  return longest * 1000;
}

/**
 * Carries out one action. Returns the record to persist after it when the action produced a result the
 * machine needs (a launch template version, eviction answers), else undefined.
 */
export async function actEc2Swap(
  deps: ControlPlaneLoopDeps,
  step: Ec2SwapStep,
  now: number,
): Promise<Ec2SwapRecord | undefined> {
  const ports = awsPorts(deps);
  const action: Ec2SwapAction = step.action;
  switch (action.kind) {
    case 'suspend':
      for (const group of action.groups) await ports.groupUpdates.suspendProcesses(group, action.processes);
      return undefined;
    case 'resume':
      for (const group of action.groups) await ports.groupUpdates.resumeProcesses(group, action.processes);
      return undefined;
    case 'create-version': {
      const version = await ports.launchTemplates.createVersionWithInstanceType({
        launchTemplateId: action.launchTemplateId,
        sourceVersion: action.sourceVersion,
        instanceType: action.instanceType,
        clientToken: action.clientToken,
        description: `tideplane control-plane swap ${step.swap.id}: ${step.swap.from} → ${step.swap.to}`,
      });
      return recordNewVersion(step.swap, action.group, version.versionNumber);
    }
    case 'point-group':
      await ports.groupUpdates.updateGroup(action.group, {
        launchTemplate: { launchTemplateId: action.launchTemplateId, version: action.version },
      });
      return undefined;
    case 'set-size':
      await ports.groupUpdates.updateGroup(action.group, {
        ...(action.desiredCapacity !== undefined ? { desiredCapacity: action.desiredCapacity } : {}),
        ...(action.maxSize !== undefined ? { maxSize: action.maxSize } : {}),
      });
      return undefined;
    case 'deregister':
      for (const arn of action.targetGroupArns) {
        await ports.loadBalancing.deregisterTargets(arn, [action.instanceId]);
      }
      return undefined;
    case 'terminate':
      await ports.autoScaling.terminateInstance(action.instanceId, true);
      return undefined;
    case 'drain':
      return drainAction(deps, step.swap, action.node, action.action, now);
    case 'wait':
    case 'done':
      return undefined;
  }
}

async function drainAction(
  deps: ControlPlaneLoopDeps,
  swap: Ec2SwapRecord,
  node: string,
  action: Extract<Ec2SwapAction, { kind: 'drain' }>['action'],
  now: number,
): Promise<Ec2SwapRecord | undefined> {
  switch (action.kind) {
    case 'taint':
      await deps.kubernetes.setNodeTaint(node, DRAIN_TAINT, true);
      return undefined;
    case 'untaint':
      await deps.kubernetes.setNodeTaint(node, DRAIN_TAINT, false);
      return undefined;
    case 'terminate':
      await awsPorts(deps).autoScaling.terminateInstance(action.instanceId, true);
      return undefined;
    case 'delete-node':
      await deps.kubernetes.deleteNode(node);
      return undefined;
    case 'evict': {
      const results = [];
      for (const pod of action.pods) {
        const result = await deps.kubernetes.evictPod(pod.namespace, pod.name, {
          ...(pod.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: pod.gracePeriodSeconds } : {}),
        });
        results.push({ pod: `${pod.namespace}/${pod.name}`, uid: pod.uid, result });
      }
      const replacing = swap.replacing;
      if (!replacing?.drain) return undefined;
      return {
        ...swap,
        replacing: { ...replacing, drain: recordEvictionResults(replacing.drain, results, now) },
      };
    }
    case 'wait':
    case 'done':
      return undefined;
  }
}

/** Why a control plane cannot be swapped safely, or undefined. */
export async function ec2SwapBlocker(
  deps: ControlPlaneLoopDeps,
  groups: readonly AutoScalingGroup[],
  targetGroupArns: readonly string[],
): Promise<string | undefined> {
  const names = ec2Settings(deps).asgs;
  const missing = names.filter((name) => !groups.some((group) => group.name === name));
  if (missing.length > 0) return `control-plane group(s) not found: ${missing.join(', ')}`;
  const noTemplate = groups.filter((group) => !group.launchTemplate);
  if (noTemplate.length > 0) {
    return `group(s) ${noTemplate.map((g) => g.name).join(', ')} launch no plain launch template (a launch configuration or a mixed-instances policy): tideplane swaps launch-template groups only`;
  }
  const allowed = ec2Settings(deps).launchTemplateIds;
  const foreign = groups.filter(
    (group) => group.launchTemplate && !allowed.includes(group.launchTemplate.launchTemplateId),
  );
  if (foreign.length > 0) {
    const which = foreign.map((g) => `${g.name} (${g.launchTemplate?.launchTemplateId})`).join(', ');
    return `group(s) ${which} launch a template not in controlPlane.ec2.launchTemplateIds (${allowed.join(', ')}): the function may only version and launch from those`;
  }
  if (targetGroupArns.length === 0) {
    return 'no API target group (configure controlPlane.ec2.targetGroupArns or attach the groups to one): a new API server must be seen healthy behind the load balancer before an old one goes';
  }
  // etcd on the control-plane nodes makes a node stateful: replacing it is etcd membership work.
  const nodeLabel = ec2Settings(deps).nodeLabel;
  const [nodes, systemPods] = await Promise.all([
    deps.kubernetes.listNodes(),
    deps.kubernetes.listPods({ namespace: 'kube-system' }),
  ]);
  const controlPlaneNodes = new Set(
    nodes.filter((node) => node.labels[nodeLabel] !== undefined).map((node) => node.name),
  );
  const etcd = systemPods.find(
    (pod) =>
      pod.nodeName !== undefined &&
      controlPlaneNodes.has(pod.nodeName) &&
      (pod.labels.component === 'etcd' || /^etcd(-manager)?-/.test(pod.name)),
  );
  if (etcd) {
    return `etcd runs on the control-plane nodes (pod kube-system/${etcd.name} on ${etcd.nodeName}): tideplane swaps only stateless control-plane nodes with etcd on its own instances`;
  }
  return undefined;
}

/** The new swap record for moving these groups to `to`, or why not. */
export async function newEc2Swap(
  deps: ControlPlaneLoopDeps,
  args: {
    id: string;
    from: string;
    to: string;
    direction: 'up' | 'down';
    reason: string;
    groups: AutoScalingGroup[];
    targetGroupArns: string[];
    now: number;
  },
): Promise<Ec2SwapRecord> {
  const ports = awsPorts(deps);
  const swapGroups: SwapGroup[] = [];
  for (const group of args.groups) {
    const template = group.launchTemplate;
    if (!template) throw new Error(`group ${group.name} has no launch template`);
    const version = await ports.launchTemplates.describeVersion(template.launchTemplateId, template.version);
    swapGroups.push({
      name: group.name,
      launchTemplateId: template.launchTemplateId,
      originalVersion: template.version,
      originalVersionNumber: version.versionNumber,
      originalMinSize: group.minSize,
      originalMaxSize: group.maxSize,
      originalDesired: group.desiredCapacity,
    });
  }
  const targets = await readTargets(ports, args.targetGroupArns);
  let healthyAtStart = 0;
  for (const states of targets.values()) {
    if (states.length >= args.targetGroupArns.length && states.every((s) => s === 'healthy'))
      healthyAtStart++;
  }
  return {
    kind: 'ec2',
    id: args.id,
    from: args.from,
    to: args.to,
    direction: args.direction,
    reason: args.reason,
    startedAt: args.now,
    state: 'preparing',
    stateSince: args.now,
    groups: swapGroups,
    targetGroupArns: args.targetGroupArns,
    healthyAtStart,
    toReplace: instancesToReplace(
      args.groups
        .map((group) => observedGroup(group))
        .map((group, index) => ({
          name: (args.groups[index] as AutoScalingGroup).name,
          instances: group.instances,
        })),
      args.to,
    ),
    replaced: [],
  };
}
