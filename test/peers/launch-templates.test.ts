import {
  CreateLaunchTemplateCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsLaunchTemplates } from '../../shared/adapters/aws/launch-templates';
import { LaunchTemplateError } from '../../shared/ports/launch-templates';
import { type MotoServer, motoClientConfig, startMoto } from './harness/moto';

// The launch-templates adapter against moto's EC2: the query wire format of DescribeLaunchTemplateVersions
// and CreateLaunchTemplateVersion, `$Latest`/`$Default`/numbers, and EC2's not-found codes. moto 5.2.5
// ignores `SourceVersion` (the new version holds only the data sent, here the instance type) and
// `ClientToken` (every call makes a version); both are asserted as moto does them, so an upgrade that
// adds them shows up here. The request shapes that AWS honours are unit-tested.

/** One of the AMIs moto ships. */
const AMI = 'ami-12c6146b';

describe('AwsLaunchTemplates against moto', () => {
  let moto: MotoServer;
  let ec2: EC2Client;
  let port: AwsLaunchTemplates;
  let templateId: string;

  beforeAll(async () => {
    moto = await startMoto();
    ec2 = new EC2Client(motoClientConfig(moto));
    port = new AwsLaunchTemplates(ec2);
    const created = await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'kube-1-control-plane',
        LaunchTemplateData: { ImageId: AMI, InstanceType: 'm6i.xlarge' },
      }),
    );
    templateId = created.LaunchTemplate?.LaunchTemplateId ?? '';
  });

  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
  });

  it('should read the first version through $Latest, $Default and its number', async () => {
    const expected = { launchTemplateId: templateId, versionNumber: 1, instanceType: 'm6i.xlarge' };
    expect(await port.describeVersion(templateId, '$Latest')).toEqual(expected);
    expect(await port.describeVersion(templateId, '$Default')).toEqual(expected);
    expect(await port.describeVersion(templateId, '1')).toEqual(expected);
  });

  it('given a new version with another type, should report it and move $Latest but not $Default', async () => {
    const created = await port.createVersionWithInstanceType({
      launchTemplateId: templateId,
      sourceVersion: 1,
      instanceType: 'm6i.2xlarge',
      clientToken: 'kube-1-cp-swap-1',
      description: 'tideplane: control plane m6i.xlarge -> m6i.2xlarge',
    });
    expect(created).toEqual({ launchTemplateId: templateId, versionNumber: 2, instanceType: 'm6i.2xlarge' });
    expect(await port.describeVersion(templateId, '$Latest')).toEqual(created);
    expect(await port.describeVersion(templateId, '2')).toEqual(created);
    expect((await port.describeVersion(templateId, '$Default')).versionNumber).toBe(1);

    const [raw] =
      (
        await ec2.send(
          new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['2'] }),
        )
      ).LaunchTemplateVersions ?? [];
    expect(raw?.VersionDescription).toBe('tideplane: control plane m6i.xlarge -> m6i.2xlarge');
    // AWS copies the AMI from SourceVersion 1; moto 5.2.5 does not.
    expect(raw?.LaunchTemplateData?.ImageId).toBeUndefined();
  });

  it('given the same client token again, moto makes another version (AWS returns the first one)', async () => {
    const again = await port.createVersionWithInstanceType({
      launchTemplateId: templateId,
      sourceVersion: 1,
      instanceType: 'm6i.2xlarge',
      clientToken: 'kube-1-cp-swap-1',
      description: 'tideplane: control plane m6i.xlarge -> m6i.2xlarge',
    });
    expect(again.versionNumber).toBe(3);
  });

  it.each([
    ['an unknown template', 'lt-0123456789abcdef0', '1'],
    ['an unknown version', undefined, '42'],
  ])('given %s, should throw NotFound', async (_what, id, version) => {
    const error = await port.describeVersion(id ?? templateId, version).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchTemplateError);
    expect((error as LaunchTemplateError).reason).toBe('NotFound');
  });

  it('given a new version of an unknown template, should throw NotFound', async () => {
    const error = await port
      .createVersionWithInstanceType({
        launchTemplateId: 'lt-0123456789abcdef0',
        sourceVersion: 1,
        instanceType: 'm6i.2xlarge',
        clientToken: 'kube-1-cp-swap-x',
        description: 'x',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchTemplateError);
    expect((error as LaunchTemplateError).reason).toBe('NotFound');
  });
});
