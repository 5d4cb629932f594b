import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AwsLaunchTemplates,
  MAX_VERSION_DESCRIPTION_CHARS,
} from '../../../../shared/adapters/aws/launch-templates';
import { LaunchTemplateError } from '../../../../shared/ports/launch-templates';

const client = new EC2Client({
  region: 'eu-central-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const ec2 = mockClient(client);
const adapter = () => new AwsLaunchTemplates(client);

const describeInputs = () =>
  ec2.commandCalls(DescribeLaunchTemplateVersionsCommand).map((c) => c.args[0].input);
const createInputs = () => ec2.commandCalls(CreateLaunchTemplateVersionCommand).map((c) => c.args[0].input);

const ec2Error = (name: string, message: string, httpStatusCode = 400) =>
  new EC2ServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message,
  });

const CREATE_ARGS = {
  launchTemplateId: 'lt-0abc',
  sourceVersion: 3,
  instanceType: 'm6i.2xlarge',
  clientToken: 'kube-1-cp-swap-7-template',
  description: 'tideplane: control plane m6i.xlarge -> m6i.2xlarge',
};

beforeEach(() => {
  ec2.reset();
});

describe('AwsLaunchTemplates.describeVersion', () => {
  it('asks for one version by template id and resolves $Latest to its number and type', async () => {
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        {
          LaunchTemplateId: 'lt-0abc',
          LaunchTemplateName: 'kube-1-control-plane',
          VersionNumber: 3,
          DefaultVersion: true,
          CreateTime: new Date('2024-05-01T10:00:00Z'),
          LaunchTemplateData: { ImageId: 'ami-0123', InstanceType: 'm6i.xlarge' },
        },
      ],
    });
    expect(await adapter().describeVersion('lt-0abc', '$Latest')).toEqual({
      launchTemplateId: 'lt-0abc',
      versionNumber: 3,
      instanceType: 'm6i.xlarge',
    });
    expect(describeInputs()).toEqual([{ LaunchTemplateId: 'lt-0abc', Versions: ['$Latest'] }]);
  });

  it('given a version without an instance type, leaves the type out', async () => {
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        { LaunchTemplateId: 'lt-0abc', VersionNumber: 2, LaunchTemplateData: { ImageId: 'ami-0123' } },
      ],
    });
    expect(await adapter().describeVersion('lt-0abc', '2')).toEqual({
      launchTemplateId: 'lt-0abc',
      versionNumber: 2,
    });
  });

  it('given an empty answer, throws NotFound', async () => {
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({ LaunchTemplateVersions: [] });
    await expect(adapter().describeVersion('lt-0abc', '9')).rejects.toMatchObject({
      name: 'LaunchTemplateError',
      reason: 'NotFound',
    });
  });

  it.each([
    [
      'an unknown template',
      ec2Error(
        'InvalidLaunchTemplateId.NotFound',
        'The specified launch template, with template ID lt-0abc, does not exist.',
      ),
      'NotFound',
    ],
    [
      'an unknown version',
      ec2Error(
        'InvalidLaunchTemplateId.VersionNotFound',
        'Could not find the specified version 9 for the launch template with ID lt-0abc.',
      ),
      'NotFound',
    ],
    ['a malformed id', ec2Error('InvalidLaunchTemplateId.Malformed', 'The ID is malformed.'), 'Invalid'],
    ['throttling', ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503), 'Throttled'],
    [
      'missing permissions',
      ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403),
      'Forbidden',
    ],
    ['a 5xx', ec2Error('InternalError', 'An internal error has occurred', 500), 'Unavailable'],
  ])('maps %s to %s', async (_what, error, reason) => {
    ec2.on(DescribeLaunchTemplateVersionsCommand).rejects(error);
    const thrown = await adapter()
      .describeVersion('lt-0abc', '9')
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(LaunchTemplateError);
    expect(thrown).toMatchObject({
      reason,
      message: `DescribeLaunchTemplateVersions: ${(error as Error).message}`,
    });
    expect((thrown as LaunchTemplateError).cause).toBe(error);
  });
});

describe('AwsLaunchTemplates.createVersionWithInstanceType', () => {
  it('copies the source version, changes only the instance type and sends the client token', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({
      LaunchTemplateVersion: {
        LaunchTemplateId: 'lt-0abc',
        LaunchTemplateName: 'kube-1-control-plane',
        VersionNumber: 4,
        VersionDescription: CREATE_ARGS.description,
        DefaultVersion: false,
        LaunchTemplateData: { ImageId: 'ami-0123', InstanceType: 'm6i.2xlarge' },
      },
    });
    expect(await adapter().createVersionWithInstanceType(CREATE_ARGS)).toEqual({
      launchTemplateId: 'lt-0abc',
      versionNumber: 4,
      instanceType: 'm6i.2xlarge',
    });
    expect(createInputs()).toEqual([
      {
        LaunchTemplateId: 'lt-0abc',
        SourceVersion: '3',
        LaunchTemplateData: { InstanceType: 'm6i.2xlarge' },
        ClientToken: 'kube-1-cp-swap-7-template',
        VersionDescription: 'tideplane: control plane m6i.xlarge -> m6i.2xlarge',
      },
    ]);
  });

  it('given the same token twice, passes it unchanged both times (EC2 answers the first version again)', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({
      LaunchTemplateVersion: {
        LaunchTemplateId: 'lt-0abc',
        VersionNumber: 4,
        LaunchTemplateData: { InstanceType: 'm6i.2xlarge' },
      },
    });
    const first = await adapter().createVersionWithInstanceType(CREATE_ARGS);
    const second = await adapter().createVersionWithInstanceType(CREATE_ARGS);
    expect(second).toEqual(first);
    expect(createInputs().map((input) => input.ClientToken)).toEqual([
      CREATE_ARGS.clientToken,
      CREATE_ARGS.clientToken,
    ]);
  });

  it('cuts a description longer than EC2 takes', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({
      LaunchTemplateVersion: { LaunchTemplateId: 'lt-0abc', VersionNumber: 4 },
    });
    await adapter().createVersionWithInstanceType({ ...CREATE_ARGS, description: 'x'.repeat(400) });
    expect(createInputs()[0]?.VersionDescription).toHaveLength(MAX_VERSION_DESCRIPTION_CHARS);
  });

  it('given an answer without data, reports the type it asked for', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({
      LaunchTemplateVersion: { LaunchTemplateId: 'lt-0abc', VersionNumber: 4 },
    });
    expect((await adapter().createVersionWithInstanceType(CREATE_ARGS)).instanceType).toBe('m6i.2xlarge');
  });

  it('given an answer without a version number, throws Unavailable rather than guess', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({});
    await expect(adapter().createVersionWithInstanceType(CREATE_ARGS)).rejects.toMatchObject({
      name: 'LaunchTemplateError',
      reason: 'Unavailable',
    });
  });

  it.each([
    [
      'the same token with other parameters',
      ec2Error(
        'IdempotentParameterMismatch',
        'The client token you have provided is associated with a resource that has different parameters.',
      ),
      'Invalid',
    ],
    [
      'an unknown source version',
      ec2Error(
        'InvalidLaunchTemplateId.VersionNotFound',
        'Could not find the specified version 3 for the launch template with ID lt-0abc.',
      ),
      'NotFound',
    ],
    ['an invalid value', ec2Error('InvalidParameterValue', "Invalid value 'x' for InstanceType."), 'Invalid'],
    ['throttling', ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503), 'Throttled'],
    [
      'missing permissions',
      ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403),
      'Forbidden',
    ],
  ])('maps %s to %s', async (_what, error, reason) => {
    ec2.on(CreateLaunchTemplateVersionCommand).rejects(error);
    await expect(adapter().createVersionWithInstanceType(CREATE_ARGS)).rejects.toMatchObject({
      name: 'LaunchTemplateError',
      reason,
      message: `CreateLaunchTemplateVersion: ${(error as Error).message}`,
    });
  });
});
