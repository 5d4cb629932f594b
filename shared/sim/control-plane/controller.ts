/**
 * The real control-plane loop as a simulator controller: the same `runControlPlaneTick` the Lambda
 * runs, at the config's interval, against the world's simulated control plane (Auto Scaling groups,
 * launch templates, target group, instances, API servers, alarms, or EKS), its cluster and whatever
 * state store the caller chose (DynamoDB on dynalite for `npm run tideplane -- simulate`). An alarm
 * that goes into ALARM reaches it the way CloudWatch's alarm action reaches the Lambda: as the action's
 * JSON through the production parser, and a tick at once. Every port call is counted per tick.
 */
import { type ControlPlaneEvent, parseControlPlaneEvent } from '../../config/control-plane-event';
import type { Ladder } from '../../controlplane/ladder';
import type { Ec2ControlPlanePorts } from '../../loops/control-plane-deps';
import { type ControlPlaneTickSummary, runControlPlaneTick } from '../../loops/control-plane-loop';
import type { AlarmsPort } from '../../ports/alarms';
import type { EksPort } from '../../ports/eks';
import type { KubernetesPort } from '../../ports/kubernetes';
import { type Logger, silentLogger } from '../../ports/logger';
import type { StateStore } from '../../ports/state-store';
import type { SimController } from '../driver';
import type { SimWorld } from '../world';
import type { SimControlPlane } from './control-plane';
import { ControlPlaneRecorder } from './record';

/** The ports one tick talks to; a test may wrap them (fault injection) through `wrapPorts`. */
export interface ControlPlaneTickPorts {
  kubernetes: KubernetesPort;
  aws?: Ec2ControlPlanePorts;
  eks?: EksPort;
  alarms: AlarmsPort;
  state: StateStore;
}

export interface ControlPlaneControllerOptions {
  state?: StateStore;
  log?: Logger;
  /** @default the settings' dryRun */
  dryRun?: boolean;
  /** Called with each tick's summary. */
  onTick?: (summary: ControlPlaneTickSummary) => void;
  /** Replaces the ports of every tick (e.g. to crash after a chosen call). */
  wrapPorts?: (ports: ControlPlaneTickPorts) => ControlPlaneTickPorts;
  /** Called with every alarm event delivered, after the production parser accepted it. */
  onAlarmEvent?: (event: ControlPlaneEvent) => void;
}

/**
 * Counts every method call of the port (and of the ports inside it, for the AWS bundle).
 */
function counted<T extends object>(port: T, count: () => void): T {
  return new Proxy(port, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        count();
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The ports of one tick, each call counted. */
export function countedPorts(ports: ControlPlaneTickPorts, count: () => void): ControlPlaneTickPorts {
  const aws = ports.aws;
  return {
    kubernetes: counted(ports.kubernetes, count),
    alarms: counted(ports.alarms, count),
    state: counted(ports.state, count),
    ...(ports.eks ? { eks: counted(ports.eks, count) } : {}),
    ...(aws
      ? {
          aws: {
            autoScaling: counted(aws.autoScaling, count),
            groupUpdates: counted(aws.groupUpdates, count),
            launchTemplates: counted(aws.launchTemplates, count),
            ec2: counted(aws.ec2, count),
            instances: counted(aws.instances, count),
            loadBalancing: counted(aws.loadBalancing, count),
            probe: counted(aws.probe, count),
          },
        }
      : {}),
  };
}

/** The CloudWatch alarm action's payload for a state change (what the Lambda receives). */
export function alarmActionPayload(args: {
  alarmName: string;
  state: string;
  time: number;
  region: string;
  accountId: string;
}): unknown {
  return {
    source: 'aws.cloudwatch',
    alarmArn: `arn:aws:cloudwatch:${args.region}:${args.accountId}:alarm:${args.alarmName}`,
    accountId: args.accountId,
    time: new Date(args.time).toISOString().replace('Z', '+0000'),
    region: args.region,
    alarmData: {
      alarmName: args.alarmName,
      state: { value: args.state, reason: 'Threshold Crossed', timestamp: new Date(args.time).toISOString() },
    },
  };
}

/**
 * @example
 * const result = await runSimulation(world, { controllers: [controlPlaneController(world, { state })] });
 * result.controlPlane?.swaps; // the swaps, their steps and outcomes
 */
export function controlPlaneController(
  world: SimWorld,
  options: ControlPlaneControllerOptions = {},
): SimController {
  const model: SimControlPlane | undefined = world.controlPlane;
  if (!model) throw new Error(`scenario ${world.scenario.name} has no control plane`);
  const settings = model.settings;
  const state = options.state ?? world.state;
  const log = options.log ?? silentLogger;
  const dryRun = options.dryRun ?? settings.dryRun;
  const intervalMs = settings.intervalSeconds * 1000;
  const recorder = new ControlPlaneRecorder(model, intervalMs);
  const ladderCache: { ladder?: Ladder } = {};
  let delivered = 0;
  const watched = new Set([...model.alarmNames.high, ...model.alarmNames.low]);
  const region = world.scenario.region ?? world.cloud.region;

  return {
    name: 'control-plane',
    intervalMs,
    async tick() {
      if (!settings.enabled) return;
      let calls = 0;
      const base: ControlPlaneTickPorts = { kubernetes: world.cluster, state, ...model.ports() };
      const ports = countedPorts(options.wrapPorts ? options.wrapPorts(base) : base, () => {
        calls++;
      });
      try {
        const summary = await runControlPlaneTick(
          {
            cluster: world.scenario.clusterName,
            settings,
            kubernetes: ports.kubernetes,
            ...(ports.aws ? { aws: ports.aws } : {}),
            ...(ports.eks ? { eks: ports.eks } : {}),
            alarms: ports.alarms,
            alarmNames: model.alarmNames,
            state: ports.state,
            clock: world.clock,
            log,
            dryRun,
          },
          ladderCache,
        );
        recorder.tick(summary, calls);
        options.onTick?.(summary);
        return summary;
      } catch (error) {
        recorder.tickFailed(calls);
        throw error;
      }
    },
    async deliverEvents() {
      if (!settings.enabled) return false;
      const transitions = model.alarms.transitions();
      let tickNow = false;
      for (; delivered < transitions.length; delivered++) {
        const transition = transitions[delivered];
        if (transition?.to !== 'ALARM' || !watched.has(transition.name)) continue;
        const parsed = parseControlPlaneEvent(
          alarmActionPayload({
            alarmName: transition.name,
            state: transition.to,
            time: transition.time,
            region,
            accountId: world.cloud.accountId,
          }),
        );
        if (!parsed.ok) {
          throw new Error(
            `the simulated alarm action for ${transition.name} does not parse: ${parsed.issues.map((i) => i.message).join('; ')}`,
          );
        }
        options.onAlarmEvent?.(parsed.event);
        tickNow = true;
      }
      return tickNow;
    },
    sample: (now) => recorder.sample(now),
    finish: (end) => ({ controlPlane: recorder.finish(end) }),
  };
}
