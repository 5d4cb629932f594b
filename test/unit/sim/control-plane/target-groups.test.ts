import { describe, expect, it } from 'vitest';
import { LoadBalancingError } from '../../../../shared/ports/load-balancing';
import { DEFAULT_HEALTH_CHECK } from '../../../../shared/sim/control-plane/target-groups';
import {
  API_START_SECONDS,
  ARN,
  BOOT_SECONDS,
  controlPlaneFixture,
  DELAY_SECONDS,
  GROUP,
  START,
} from './fixtures';

const CHECKS_MS = DEFAULT_HEALTH_CHECK.intervalSeconds * DEFAULT_HEALTH_CHECK.healthyThreshold * 1000;

async function stateOf(targets: ReturnType<typeof controlPlaneFixture>['targets'], id: string) {
  return (await targets.describeTargetHealth(ARN)).find((target) => target.targetId === id);
}

describe('SimTargetGroups', () => {
  it('given a warm group, should report its instances healthy at once', async () => {
    const { targets, cloud } = controlPlaneFixture();
    const health = await targets.describeTargetHealth(ARN);
    expect(health.map((target) => target.state)).toEqual(['healthy', 'healthy']);
    expect(health.map((target) => target.targetId)).toEqual(cloud.instances(GROUP).map((i) => i.instanceId));
    expect(await targets.deregistrationDelaySeconds(ARN)).toBe(DELAY_SECONDS);
  });

  it('should register a new instance once in service, initial until the API server is up and the checks passed, then healthy', async () => {
    const { targets, groups, cloud, advance } = controlPlaneFixture();
    await groups.updateGroup(GROUP, { maxSize: 3, desiredCapacity: 3 });
    const surge = cloud.instances(GROUP).find((i) => i.state === 'Pending');
    if (!surge) throw new Error('no surge instance');
    expect(await stateOf(targets, surge.instanceId)).toBeUndefined();

    advance(BOOT_SECONDS * 1000);
    expect(await stateOf(targets, surge.instanceId)).toMatchObject({
      state: 'initial',
      reason: 'Elb.RegistrationInProgress',
    });
    advance(API_START_SECONDS * 1000 + CHECKS_MS - 1000);
    expect((await stateOf(targets, surge.instanceId))?.state).toBe('initial');
    advance(1000);
    expect((await stateOf(targets, surge.instanceId))?.state).toBe('healthy');
    expect(targets.healthyInstances()).toHaveLength(3);
  });

  it('should drain a deregistered target for the deregistration delay, then list it no more and never register it again', async () => {
    const { targets, cloud, clock, advance } = controlPlaneFixture();
    const [old] = cloud.instances(GROUP);
    if (!old) throw new Error('no instance');
    await targets.deregisterTargets(ARN, [old.instanceId, 'i-0notregistered000']);
    expect(await stateOf(targets, old.instanceId)).toMatchObject({
      state: 'draining',
      reason: 'Target.DeregistrationInProgress',
    });
    expect(targets.healthyInstances()).toHaveLength(1);
    expect(targets.nextEventAt()).toBe(clock.now() + DELAY_SECONDS * 1000);
    advance(DELAY_SECONDS * 1000 - 1);
    expect((await stateOf(targets, old.instanceId))?.state).toBe('draining');
    advance(1);
    expect(await stateOf(targets, old.instanceId)).toBeUndefined();
    advance(10 * 60_000);
    expect(await stateOf(targets, old.instanceId)).toBeUndefined();
    expect(cloud.instances(GROUP).find((i) => i.instanceId === old.instanceId)?.state).toBe('InService');
  });

  it('should drain the target of an instance Auto Scaling terminates, from its termination on', async () => {
    const { targets, cloud, advance } = controlPlaneFixture();
    const [old] = cloud.instances(GROUP);
    if (!old) throw new Error('no instance');
    advance(5_000);
    await cloud.terminateInstance(old.instanceId, false);
    const terminatedAt = START + 5_000;
    advance(15_000);
    expect((await stateOf(targets, old.instanceId))?.state).toBe('draining');
    expect(targets.healthyInstances(terminatedAt - 1)).toContain(old.instanceId);
    expect(targets.healthyInstances(terminatedAt)).not.toContain(old.instanceId);
  });

  it('should turn a target unhealthy whose API server never comes up', async () => {
    const { targets, groups, cloud, servers, advance } = controlPlaneFixture();
    servers.breakType('m6i.xlarge');
    await groups.updateGroup(GROUP, { maxSize: 3, desiredCapacity: 3 });
    const surge = cloud.instances(GROUP).find((i) => i.state === 'Pending');
    if (!surge) throw new Error('no surge instance');
    advance(BOOT_SECONDS * 1000 + 60 * 60_000);
    expect(await stateOf(targets, surge.instanceId)).toMatchObject({
      state: 'unhealthy',
      reason: 'Target.FailedHealthChecks',
    });
  });

  it('should know the fewest healthy API servers at any moment, between the instants anyone looked', async () => {
    const { targets, groups, cloud, advance } = controlPlaneFixture();
    const [first] = cloud.instances(GROUP);
    if (!first) throw new Error('no instance');
    // A gap nobody samples: one deregistered at +10 s, its replacement healthy much later.
    advance(10_000);
    await targets.deregisterTargets(ARN, [first.instanceId]);
    await groups.updateGroup(GROUP, { maxSize: 3, desiredCapacity: 3 });
    advance(20 * 60_000);
    expect(targets.healthyInstances()).toHaveLength(2);
    expect(targets.minHealthy(START, START + 9_999)).toBe(2);
    expect(targets.minHealthy(START, START + 20 * 60_000)).toBe(1);
  });

  it('should answer NotFound for an unknown target group', async () => {
    const { targets } = controlPlaneFixture();
    await expect(targets.describeTargetHealth(`${ARN.slice(0, -1)}0`)).rejects.toBeInstanceOf(
      LoadBalancingError,
    );
  });
});
