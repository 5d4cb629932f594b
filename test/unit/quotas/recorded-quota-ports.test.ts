/**
 * The recorded account behind `quotas plan --fixtures`: Service Quotas answered from the recording as AWS
 * answers (applied value, else the default, else NoSuchResource), usage by metric, groups by name and tag,
 * and the write guard that keeps a plan from filing anything.
 */
import { describe, expect, it } from 'vitest';
import { WriteGuard } from '../../../shared/cli/read-only-quota-ports';
import { RecordedAutoScaling } from '../../../shared/cli/recorded-auto-scaling';
import { parseQuotaAccountRecording, RecordingError } from '../../../shared/cli/recorded-quota-account';
import { RecordedServiceQuotas } from '../../../shared/cli/recorded-service-quotas';
import { RecordedUsageMetrics } from '../../../shared/cli/recorded-usage-metrics';
import { ServiceQuotasError } from '../../../shared/ports/service-quotas';

const vcpus = (cls: string) => ({
  namespace: 'AWS/Usage',
  name: 'ResourceCount',
  dimensions: { Class: cls, Resource: 'vCPU', Service: 'EC2', Type: 'Resource' },
});

const recording = parseQuotaAccountRecording(
  {
    source: 'test',
    accountId: '123456789012',
    region: 'eu-central-1',
    recordedAt: '2026-11-24T06:00:00Z',
    quotas: [
      {
        serviceCode: 'ec2',
        code: 'L-1216C47A',
        name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
        applied: 1536,
        defaultValue: 5,
        usageMetric: { ...vcpus('Standard/OnDemand'), statistic: 'Maximum' },
      },
      {
        serviceCode: 'ec2',
        code: 'L-DB2E81BA',
        name: 'Running On-Demand G and VT instances',
        defaultValue: 64,
      },
      { serviceCode: 'ec2', code: 'L-417A185B', name: 'Running On-Demand P instances' },
    ],
    requests: [
      {
        serviceCode: 'ec2',
        quotaCode: 'L-1216C47A',
        requestId: 'old',
        status: 'CASE_CLOSED',
        desiredValue: 1536,
        createdAt: '2026-06-02T07:14:09Z',
      },
      {
        serviceCode: 'ec2',
        quotaCode: 'L-1216C47A',
        requestId: 'new',
        caseId: '17330000001',
        status: 'PENDING',
        desiredValue: 3610,
        createdAt: '2026-11-22T06:00:03Z',
      },
    ],
    usage: [{ metric: vcpus('Standard/OnDemand'), value: 1192 }, { metric: vcpus('G/OnDemand') }],
    autoScalingGroups: [
      {
        name: 'kube-1-default-a',
        minSize: 1,
        maxSize: 40,
        desiredCapacity: 18,
        availabilityZones: ['eu-central-1a'],
        tags: { 'k8s.io/cluster-autoscaler/kube-1': 'owned' },
        instanceTypes: ['m7i.4xlarge'],
      },
      {
        name: 'kube-1-master-a',
        minSize: 1,
        maxSize: 2,
        desiredCapacity: 1,
        availabilityZones: ['eu-central-1a'],
        instanceTypes: ['m7i.2xlarge'],
      },
    ],
  },
  'test.json',
);

describe('parseQuotaAccountRecording', () => {
  it('given ISO times, should read them as epoch ms and fill the defaults', () => {
    expect(recording.recordedAt).toBe(Date.parse('2026-11-24T06:00:00Z'));
    expect(recording.requests[1]?.createdAt).toBe(Date.parse('2026-11-22T06:00:03Z'));
    expect(recording.autoScalingGroups[1]).toMatchObject({
      tags: {},
      instances: [],
      purchase: { onDemandBaseCapacity: 0, onDemandPercentageAboveBase: 100 },
    });
    expect(recording.stateRecords).toEqual([]);
  });

  it('given a quota listed twice and a record of another account, should list both problems with paths', () => {
    const quota = { serviceCode: 'ec2', code: 'L-1216C47A', name: 'x', defaultValue: 5 };
    const record = {
      accountId: '210987654321',
      region: 'eu-central-1',
      serviceCode: 'ec2',
      quotaCode: 'L-1216C47A',
      quotaName: 'x',
      desiredValue: 10,
      appliedAtRequest: 5,
      requestedAt: '2026-11-22T06:00:00Z',
      status: 'PENDING',
      lastCheckedAt: '2026-11-23T06:00:00Z',
      justification: '',
    };
    const parse = () =>
      parseQuotaAccountRecording(
        {
          source: 'test',
          accountId: '123456789012',
          region: 'eu-central-1',
          recordedAt: 0,
          quotas: [quota, quota],
          stateRecords: [record],
        },
        'f.json',
      );
    expect(parse).toThrow(RecordingError);
    expect(parse).toThrow(
      'not a valid quota recording:\n' +
        'f.json: quotas[1].code: ec2/L-1216C47A is listed twice\n' +
        'f.json: stateRecords[0]: a record of 210987654321/eu-central-1 in the recording of 123456789012/eu-central-1',
    );
  });
});

describe('RecordedServiceQuotas', () => {
  const quotas = new RecordedServiceQuotas(recording);

  it('given applied, default-only and valueless quotas, should answer as GetServiceQuota with its fallback', async () => {
    await expect(quotas.getServiceQuota('ec2', 'L-1216C47A')).resolves.toMatchObject({
      value: 1536,
      source: 'applied',
    });
    await expect(quotas.getServiceQuota('ec2', 'L-DB2E81BA')).resolves.toMatchObject({
      value: 64,
      source: 'default',
    });
    const missing = quotas.getServiceQuota('ec2', 'L-417A185B');
    await expect(missing).rejects.toBeInstanceOf(ServiceQuotasError);
    await expect(missing).rejects.toMatchObject({ reason: 'NoSuchResource' });
  });

  it('given a service, should list its quotas with the value in force; an unknown service is NoSuchResource', async () => {
    const listed = await quotas.listServiceQuotas('ec2');
    expect(listed.map((quota) => [quota.code, quota.value])).toEqual([
      ['L-1216C47A', 1536],
      ['L-DB2E81BA', 64],
      ['L-417A185B', undefined],
    ]);
    await expect(quotas.listServiceQuotas('ebs')).rejects.toMatchObject({ reason: 'NoSuchResource' });
  });

  it('given a quota’s requests, should list them newest first; and file nothing', async () => {
    const history = await quotas.listRequestedChanges('ec2', 'L-1216C47A');
    expect(history.map((request) => request.requestId)).toEqual(['new', 'old']);
    await expect(quotas.requestIncrease('ec2', 'L-1216C47A', 3610)).rejects.toMatchObject({
      reason: 'Forbidden',
    });
  });
});

describe('RecordedUsageMetrics', () => {
  it('given a metric, should match it by namespace, name and dimensions, whatever the statistic', async () => {
    const usage = new RecordedUsageMetrics(recording.usage);
    await expect(usage.usage({ ...vcpus('Standard/OnDemand'), statistic: 'Maximum' })).resolves.toBe(1192);
    await expect(usage.usage(vcpus('G/OnDemand'))).resolves.toBeUndefined();
    await expect(usage.usage(vcpus('P/OnDemand'))).resolves.toBeUndefined();
  });
});

describe('RecordedAutoScaling', () => {
  it('given names or a tag key, should filter the groups as Auto Scaling does', async () => {
    const autoScaling = new RecordedAutoScaling(recording.autoScalingGroups);
    const names = async (found: Promise<{ name: string }[]>) => (await found).map((group) => group.name);
    expect(await names(autoScaling.describeGroups())).toEqual(['kube-1-default-a', 'kube-1-master-a']);
    expect(await names(autoScaling.describeGroups(['kube-1-master-a', 'gone']))).toEqual(['kube-1-master-a']);
    expect(await names(autoScaling.describeGroups(undefined, 'k8s.io/cluster-autoscaler/kube-1'))).toEqual([
      'kube-1-default-a',
    ]);
    await expect(autoScaling.setDesiredCapacity('kube-1-default-a', 20)).rejects.toMatchObject({
      reason: 'Forbidden',
    });
  });
});

describe('WriteGuard', () => {
  it('given a loop that tries to write, should refuse every write, pass reads through and keep the calls', async () => {
    const guard = new WriteGuard();
    const quotas = guard.serviceQuotas(new RecordedServiceQuotas(recording));
    const autoScaling = guard.autoScaling(new RecordedAutoScaling(recording.autoScalingGroups));
    const support = guard.support({
      describeCases: async () => [],
      addCommunication: async () => {
        throw new Error('reached the port');
      },
    });
    await expect(quotas.getServiceQuota('ec2', 'L-1216C47A')).resolves.toMatchObject({ value: 1536 });
    await expect(quotas.requestIncrease('ec2', 'L-1216C47A', 3610)).rejects.toThrow(
      'RequestServiceQuotaIncrease ec2/L-1216C47A 3610: refused, quotas plan writes nothing',
    );
    await expect(autoScaling.terminateInstance('i-1', true)).rejects.toMatchObject({ reason: 'Forbidden' });
    await expect(support.addCommunication('17330000001', 'why')).rejects.toMatchObject({
      reason: 'Forbidden',
    });
    await expect(support.describeCases(['17330000001'])).resolves.toEqual([]);
    expect(guard.refused).toEqual([
      'RequestServiceQuotaIncrease ec2/L-1216C47A 3610',
      'TerminateInstanceInAutoScalingGroup i-1',
      'AddCommunicationToCase 17330000001',
    ]);
  });
});
