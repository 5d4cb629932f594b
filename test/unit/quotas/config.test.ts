/**
 * The quota section of a region (shared/config/quotas.ts), through `validateConfig` as `tideplane
 * validate` runs it, so every problem carries the path a user can find in the file.
 */
import { describe, expect, it } from 'vitest';
import { type ConfigProblem, validateConfig } from '../../../shared/config/load';
import { EXTRA_QUOTA_EXAMPLES, QUOTA_DEFAULTS, usesSupportApi } from '../../../shared/config/quotas';

const REGION = 'accounts[0].regions[0]';

function documentWith(quotas: unknown): unknown {
  return {
    version: 1,
    accounts: [
      {
        id: '123456789012',
        regions: [
          {
            name: 'eu-central-1',
            clusters: [
              {
                name: 'kube-1',
                access: {
                  kind: 'kubeconfig',
                  secretArn:
                    'arn:aws:secretsmanager:eu-central-1:123456789012:secret:tideplane/kube-1-AbCdEf',
                },
              },
            ],
            ...(quotas === undefined ? {} : { quotas }),
          },
        ],
      },
    ],
  };
}

function quotasOf(quotas: unknown) {
  const result = validateConfig(documentWith(quotas));
  if (!result.ok) throw new Error(`expected a valid config: ${JSON.stringify(result.problems)}`);
  return result.config.accounts[0]?.regions[0]?.quotas;
}

function problemsOf(quotas: unknown): ConfigProblem[] {
  const result = validateConfig(documentWith(quotas));
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('quotas defaults', () => {
  it('given no section, should leave the quota loop off', () => {
    expect(quotasOf(undefined)).toBeUndefined();
  });

  it('given an empty section, should apply every documented default', () => {
    expect(quotasOf({})).toEqual({
      enabled: true,
      dryRun: false,
      headroomFraction: 0.2,
      maxIncreaseFactor: 10,
      maxRequestValues: {},
      supportPlan: 'basic',
      recheckHours: 24,
      retryDeniedAfterDays: 7,
      alarmThresholdFraction: 0.9,
      extraQuotas: [],
    });
    expect(QUOTA_DEFAULTS).toMatchObject({
      headroomFraction: 0.2,
      recheckHours: 24,
      alarmThresholdFraction: 0.9,
    });
  });

  it('given the documented extra quota examples, should accept them with their rules', () => {
    const settings = quotasOf({ extraQuotas: EXTRA_QUOTA_EXAMPLES });
    expect(settings?.extraQuotas.map((q) => [q.serviceCode, q.quotaCode, q.demand])).toEqual([
      ['ebs', 'L-7A658B76', { fixed: 0, perCluster: 0, perNode: 100 / 1024, perVcpu: 0 }],
      ['ec2', 'L-0263D0A3', { fixed: 0, perCluster: 3, perNode: 0, perVcpu: 0 }],
      ['vpc', 'L-DF5E4CA3', { fixed: 0, perCluster: 0, perNode: 2, perVcpu: 0 }],
    ]);
  });

  it('given a fixed number as demand, should keep the number', () => {
    const settings = quotasOf({
      extraQuotas: [{ serviceCode: 'ebs', quotaCode: 'L-D18FCD1D', name: 'gp2', demand: 20 }],
    });
    expect(settings?.extraQuotas[0]).toEqual({
      serviceCode: 'ebs',
      quotaCode: 'L-D18FCD1D',
      name: 'gp2',
      unit: '',
      demand: 20,
    });
  });

  it('should use the Support API only with Business or Enterprise support', () => {
    expect(SUPPORT.map((plan) => usesSupportApi({ supportPlan: plan }))).toEqual([false, false, true, true]);
  });
});

const SUPPORT = ['basic', 'developer', 'business', 'enterprise'] as const;

describe('quotas validation', () => {
  it.each([
    [{ headroomFraction: -0.1 }, 'headroomFraction'],
    [{ maxIncreaseFactor: 1 }, 'maxIncreaseFactor'],
    [{ supportPlan: 'gold' }, 'supportPlan'],
    [{ recheckHours: 0 }, 'recheckHours'],
    [{ recheckHours: 1.5 }, 'recheckHours'],
    [{ alarmThresholdFraction: 1.2 }, 'alarmThresholdFraction'],
    [{ alarmThresholdFraction: 0 }, 'alarmThresholdFraction'],
    [{ retryDeniedAfterDays: 0 }, 'retryDeniedAfterDays'],
    [{ maxRequestValues: { 'L-1216C47A': 0 } }, 'maxRequestValues.L-1216C47A'],
    [{ cap: 5 }, '(root)'],
  ])('given %j, should report %s', (quotas, field) => {
    const paths = problemsOf(quotas).map((p) => p.path);
    expect(paths).toEqual([field === '(root)' ? `${REGION}.quotas` : `${REGION}.quotas.${field}`]);
  });

  it('given a maxRequestValues key that is no quota code, should say what one looks like', () => {
    expect(problemsOf({ maxRequestValues: { 'L-123': 100 } })).toEqual([
      { path: `${REGION}.quotas.maxRequestValues.L-123`, message: 'a quota code like L-1216C47A' },
    ]);
  });

  it('given an extra quota twice, should point at the second', () => {
    const quota = { serviceCode: 'vpc', quotaCode: 'L-DF5E4CA3', name: 'ENIs', demand: { perNode: 2 } };
    expect(problemsOf({ extraQuotas: [quota, quota] })).toEqual([
      {
        path: `${REGION}.quotas.extraQuotas[1].quotaCode`,
        message: 'vpc/L-DF5E4CA3 is already checked by extraQuotas[0]',
      },
    ]);
  });

  it('given an EC2 vCPU quota as an extra quota, should refuse to count it twice', () => {
    expect(
      problemsOf({
        extraQuotas: [{ serviceCode: 'ec2', quotaCode: 'L-1216C47A', name: 'Standard', demand: 10 }],
      }),
    ).toEqual([
      {
        path: `${REGION}.quotas.extraQuotas[0].quotaCode`,
        message: 'L-1216C47A is an EC2 vCPU quota: its demand comes from the node pools already',
      },
    ]);
  });

  it('given extra quotas with bad fields, should report each', () => {
    const paths = problemsOf({
      extraQuotas: [
        { serviceCode: 'EBS', quotaCode: 'l-7a658b76', name: '', demand: -1 },
        { serviceCode: 'ebs', quotaCode: 'L-7A658B76', name: 'gp3', demand: { perNode: 0 } },
        { serviceCode: 'ebs', quotaCode: 'L-D18FCD1D', name: 'gp2', demand: { perPod: 1 } },
      ],
    }).map((p) => p.path);
    expect(paths).toEqual([
      `${REGION}.quotas.extraQuotas[0].serviceCode`,
      `${REGION}.quotas.extraQuotas[0].quotaCode`,
      `${REGION}.quotas.extraQuotas[0].name`,
      `${REGION}.quotas.extraQuotas[0].demand`,
      `${REGION}.quotas.extraQuotas[1].demand`,
      // An unknown key, and then no rate above 0 is left.
      `${REGION}.quotas.extraQuotas[2].demand`,
      `${REGION}.quotas.extraQuotas[2].demand`,
    ]);
  });

  it('given a demand that is neither a number nor a rule, should say what it may be', () => {
    expect(
      problemsOf({
        extraQuotas: [{ serviceCode: 'ebs', quotaCode: 'L-D18FCD1D', name: 'gp2', demand: 'ten' }],
      }),
    ).toEqual([
      {
        path: `${REGION}.quotas.extraQuotas[0].demand`,
        message: 'a number, or a rule { fixed, perCluster, perNode, perVcpu }',
      },
    ]);
  });
});
