import {
  AutoScalingClient,
  AutoScalingServiceException,
  ResourceContentionFault,
  ResumeProcessesCommand,
  ScalingActivityInProgressFault,
  SuspendProcessesCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsGroupUpdates } from '../../../../shared/adapters/aws/group-updates';
import { AutoScalingError } from '../../../../shared/ports/auto-scaling';
import { SWAP_SUSPENDED_PROCESSES } from '../../../../shared/ports/group-updates';

const client = new AutoScalingClient({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const autoScaling = mockClient(client);
const adapter = () => new AwsGroupUpdates(client);
const GROUP = 'kube-1-control-plane';

const updateInputs = () =>
  autoScaling.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input);

const serviceError = (name: string, message: string, httpStatusCode = 400) =>
  new AutoScalingServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message,
  });

beforeEach(() => {
  autoScaling.reset();
  autoScaling.on(UpdateAutoScalingGroupCommand).resolves({});
  autoScaling.on(SuspendProcessesCommand).resolves({});
  autoScaling.on(ResumeProcessesCommand).resolves({});
});

describe('AwsGroupUpdates.updateGroup', () => {
  it('sends the launch template version and sizes it is given', async () => {
    await adapter().updateGroup(GROUP, {
      launchTemplate: { launchTemplateId: 'lt-0abc', version: '7' },
      minSize: 3,
      maxSize: 4,
      desiredCapacity: 4,
    });
    expect(updateInputs()).toEqual([
      {
        AutoScalingGroupName: GROUP,
        LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '7' },
        MinSize: 3,
        MaxSize: 4,
        DesiredCapacity: 4,
      },
    ]);
  });

  it.each([
    [{ maxSize: 4 }, { MaxSize: 4 }],
    [{ desiredCapacity: 0 }, { DesiredCapacity: 0 }],
    [
      { launchTemplate: { launchTemplateId: 'lt-0abc', version: '6' } },
      { LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '6' } },
    ],
  ])('given only %j, sends only that field (the rest keep their values)', async (update, fields) => {
    await adapter().updateGroup(GROUP, update);
    expect(updateInputs()).toEqual([{ AutoScalingGroupName: GROUP, ...fields }]);
  });

  it('given nothing to change, sends nothing', async () => {
    await adapter().updateGroup(GROUP, {});
    expect(updateInputs()).toEqual([]);
  });

  it.each([
    [
      'an unknown group',
      serviceError('ValidationError', 'AutoScalingGroup name not found - null'),
      'NotFound',
    ],
    [
      'a max below the desired capacity',
      serviceError(
        'ValidationError',
        'Desired capacity:4 must be between the specified min size:3 and max size:3',
      ),
      'Invalid',
    ],
    [
      'a scaling activity in progress',
      new ScalingActivityInProgressFault({ $metadata: { httpStatusCode: 400 }, message: 'in progress' }),
      'Busy',
    ],
    [
      'resource contention',
      new ResourceContentionFault({
        $metadata: { httpStatusCode: 500 },
        message: 'You already have a pending update to an Auto Scaling resource.',
      }),
      'Busy',
    ],
    ['throttling', serviceError('Throttling', 'Rate exceeded'), 'Throttled'],
    [
      'missing permissions (not allowed to use the launch template)',
      serviceError('AccessDenied', 'You are not authorized to use launch template: lt-0abc', 403),
      'Forbidden',
    ],
  ])('maps %s to %s', async (_what, error, reason) => {
    autoScaling.on(UpdateAutoScalingGroupCommand).rejects(error);
    const thrown = await adapter()
      .updateGroup(GROUP, { maxSize: 3 })
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AutoScalingError);
    expect(thrown).toMatchObject({ reason, message: `UpdateAutoScalingGroup: ${(error as Error).message}` });
  });
});

describe('AwsGroupUpdates.suspendProcesses / resumeProcesses', () => {
  it('suspends exactly the named processes', async () => {
    await adapter().suspendProcesses(GROUP, SWAP_SUSPENDED_PROCESSES);
    expect(autoScaling.commandCalls(SuspendProcessesCommand).map((c) => c.args[0].input)).toEqual([
      {
        AutoScalingGroupName: GROUP,
        ScalingProcesses: ['AZRebalance', 'AlarmNotification', 'ScheduledActions'],
      },
    ]);
  });

  it('resumes exactly the named processes', async () => {
    await adapter().resumeProcesses(GROUP, ['AZRebalance']);
    expect(autoScaling.commandCalls(ResumeProcessesCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: GROUP, ScalingProcesses: ['AZRebalance'] },
    ]);
  });

  it('given no processes, sends nothing (Auto Scaling reads an empty list as every process)', async () => {
    await adapter().suspendProcesses(GROUP, []);
    await adapter().resumeProcesses(GROUP, []);
    expect(autoScaling.calls()).toHaveLength(0);
  });

  it.each([
    ['SuspendProcesses', (port: AwsGroupUpdates) => port.suspendProcesses(GROUP, ['AZRebalance'])],
    ['ResumeProcesses', (port: AwsGroupUpdates) => port.resumeProcesses(GROUP, ['AZRebalance'])],
  ])('maps %s errors like the Auto Scaling port', async (operation, call) => {
    const error = new ResourceContentionFault({
      $metadata: { httpStatusCode: 500 },
      message: 'pending update',
    });
    autoScaling.on(SuspendProcessesCommand).rejects(error);
    autoScaling.on(ResumeProcessesCommand).rejects(error);
    await expect(call(adapter())).rejects.toMatchObject({
      name: 'AutoScalingError',
      reason: 'Busy',
      message: `${operation}: pending update`,
    });
  });
});
