/**
 * The plan table of `tideplane quotas plan`: columns per quota from real decisions (decide.ts), the AWS
 * default mark, the open request with its age, every kind of action, alarms, and the sections below the
 * table (answers, demand problems, code notes, failures, filed).
 */
import { describe, expect, it } from 'vitest';
import { quotasSchema } from '../../../shared/config/quotas';
import { decideQuota, type QuotaCheck, type QuotaDecision } from '../../../shared/quotas/decide';
import type { DemandResult, QuotaDemand } from '../../../shared/quotas/demand';
import {
  actionText,
  formatAge,
  formatQuotaPlan,
  openRequestText,
  type QuotaPlanRun,
  shortQuotaName,
} from '../../../shared/quotas/plan-table';

const NOW = Date.parse('2026-11-24T06:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STANDARD = 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances';
const STANDARD_SPOT = 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests';
const G = 'Running On-Demand G and VT instances';
const GP3 = 'Storage for General Purpose SSD (gp3) volumes, in TiB';

const settings = quotasSchema.parse({ dryRun: true });

function decide(overrides: Partial<QuotaCheck> & Pick<QuotaCheck, 'quotaCode' | 'quotaName'>): QuotaDecision {
  return decideQuota(
    { serviceCode: 'ec2', unit: 'vCPUs', demand: 3008, required: 3610, applied: 1536, ...overrides },
    { now: NOW, settings },
  );
}

function demandOf(decisions: readonly QuotaDecision[]): DemandResult {
  return {
    quotas: decisions.map(
      (decision): QuotaDemand => ({
        serviceCode: decision.serviceCode,
        quotaCode: decision.quotaCode,
        quotaName: decision.quotaName,
        unit: decision.serviceCode === 'ebs' ? 'TiB' : 'vCPUs',
        demand: decision.demand,
        required: decision.required,
        contributions: [],
        justification: '',
      }),
    ),
    problems: [],
  };
}

function run(decisions: QuotaDecision[], overrides: Partial<QuotaPlanRun> = {}): QuotaPlanRun {
  return {
    accountId: '123456789012',
    region: 'eu-central-1',
    dryRun: true,
    demand: demandOf(decisions),
    codeChecks: [],
    decisions,
    filed: [],
    failures: [],
    ...overrides,
  };
}

/** The table's body rows, split into cells on runs of two or more spaces. */
function rows(lines: readonly string[]): string[][] {
  const header = lines.findIndex((line) => line.startsWith('quota '));
  const body: string[][] = [];
  for (const line of lines.slice(header + 1)) {
    if (!/^L-[0-9A-F]{8} /.test(line)) break;
    body.push(line.split(/ {2,}/));
  }
  return body;
}

describe('shortQuotaName', () => {
  it('given EC2 instance quotas and an extra quota, should keep the line and purchasing option', () => {
    expect(shortQuotaName(STANDARD)).toBe('Standard on-demand');
    expect(shortQuotaName(STANDARD_SPOT)).toBe('Standard spot');
    expect(shortQuotaName(G)).toBe('G and VT on-demand');
    expect(shortQuotaName('All P4, P3 and P2 Spot Instance Requests')).toBe('P4, P3 and P2 spot');
    expect(shortQuotaName(GP3)).toBe('Storage for General Purpose SSD (gp3) volumes');
    expect(shortQuotaName('EC2-VPC Elastic IPs')).toBe('EC2-VPC Elastic IPs');
  });
});

describe('formatAge', () => {
  it('given minutes, hours and days, should show the two largest units', () => {
    expect(formatAge(25 * 60_000)).toBe('25m');
    expect(formatAge(5 * HOUR + 12 * 60_000)).toBe('5h 12m');
    expect(formatAge(2 * DAY + 3 * HOUR + 59 * 60_000)).toBe('2d 3h');
    expect(formatAge(-5_000)).toBe('0m');
  });
});

describe('actionText and openRequestText', () => {
  const pending = {
    status: 'PENDING' as const,
    desiredValue: 1728,
    createdAt: NOW - (DAY + 23 * HOUR),
    requestId: 'd2b7e93a04c6418f8a5e21c9f76b3d40',
    caseId: '17322874509',
  };

  it('given an open request, should wait for AWS and show the request with its age', () => {
    const decision = decide({
      quotaCode: 'L-34B43A08',
      quotaName: STANDARD_SPOT,
      demand: 1440,
      required: 1728,
      applied: 1280,
      request: pending,
      recorded: { status: 'PENDING', lastCheckedAt: NOW - 2 * HOUR },
    });
    expect(actionText(decision)).toBe('wait: AWS has not answered');
    expect(openRequestText(decision.action, NOW)).toBe('d2b7e93a… 1728 PENDING 1d 23h');
  });

  it('given a request last checked a day ago, should say the status check is due', () => {
    const decision = decide({
      quotaCode: 'L-34B43A08',
      quotaName: STANDARD_SPOT,
      request: pending,
      recorded: { status: 'PENDING', lastCheckedAt: NOW - 25 * HOUR },
    });
    expect(actionText(decision)).toBe('wait: AWS has not answered, status check due');
  });

  it('given a FILING record of another run, should wait for it and show that it has no id yet', () => {
    const decision = decide({
      quotaCode: 'L-1216C47A',
      quotaName: STANDARD,
      request: { status: 'FILING', desiredValue: 3610, createdAt: NOW - 3 * 60_000 },
    });
    expect(actionText(decision)).toBe('wait: another run is filing');
    expect(openRequestText(decision.action, NOW)).toBe('(no id yet) 3610 FILING 3m');
  });

  it('given an approval the applied value does not show yet, should wait for the applied value', () => {
    const decision = decide({
      quotaCode: 'L-1216C47A',
      quotaName: STANDARD,
      request: { status: 'APPROVED', desiredValue: 3610, createdAt: NOW - DAY, updatedAt: NOW - HOUR },
      recorded: { status: 'APPROVED', lastCheckedAt: NOW - HOUR },
    });
    expect(actionText(decision)).toBe('wait: approved, applied value not yet raised');
  });

  it('given a request due, should name the value, and the cap when it cut the request', () => {
    expect(actionText(decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD }))).toBe('request 3610');
    const capped = decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD, applied: 320 });
    expect(actionText(capped)).toBe('request 3200 (capped from 3610 by maxIncreaseFactor)');
    expect(openRequestText(capped.action, NOW)).toBe('-');
  });

  it('given each blocked cause, should say why in a few words', () => {
    const denied = decide({
      quotaCode: 'L-DB2E81BA',
      quotaName: G,
      applied: undefined,
      defaultValue: 64,
      demand: 352,
      required: 423,
      request: { status: 'DENIED', desiredValue: 346, createdAt: NOW - 5 * DAY, updatedAt: NOW - 12 * HOUR },
    });
    expect(actionText(denied)).toBe('blocked: denied, no new request before 2026-11-30T18:00Z ALARM');
    const cap = decide({ quotaCode: 'L-C4BD4855', quotaName: 'All P5 Spot Instance Requests', applied: 0 });
    expect(actionText(cap)).toBe(
      'blocked: the cap allows nothing above applied (set maxRequestValues.L-C4BD4855) ALARM',
    );
    const fixed = decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD, adjustable: false });
    expect(actionText(fixed)).toBe('blocked: AWS does not adjust this quota ALARM');
    const unknown = decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD, applied: undefined });
    expect(actionText(unknown)).toBe('blocked: applied value unknown');
  });

  it('given a request a dry run raises the alarm beside, should not show the alarm: the live loop files', () => {
    const decision = decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD });
    expect(decision.alarm).toBe(true);
    expect(actionText(decision)).toBe('request 3610');
  });
});

describe('formatQuotaPlan', () => {
  const decisions = [
    decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD, usage: 1192 }),
    decide({
      quotaCode: 'L-34B43A08',
      quotaName: STANDARD_SPOT,
      demand: 1440,
      required: 1728,
      applied: 1280,
      usage: 608,
      request: {
        status: 'PENDING',
        desiredValue: 1728,
        createdAt: NOW - (DAY + 23 * HOUR),
        requestId: 'd2b7e93a04c6418f8a5e21c9f76b3d40',
      },
      recorded: { status: 'PENDING', lastCheckedAt: NOW - 2 * HOUR },
    }),
    decideQuota(
      {
        serviceCode: 'ebs',
        quotaCode: 'L-7A658B76',
        quotaName: GP3,
        unit: 'TiB',
        demand: 25.78125,
        required: 31,
        defaultValue: 50,
      },
      { now: NOW, settings },
    ),
  ];

  it('given three quotas, should print one aligned row per quota with every column', () => {
    const lines = formatQuotaPlan(run(decisions), { now: NOW, source: 'live AWS', headroomFraction: 0.2 });
    expect(lines[0]).toBe('account 123456789012, eu-central-1: dry run, live AWS');
    expect(lines[1]?.split(/ {2,}/)).toEqual([
      'quota',
      'unit',
      'demand',
      'required',
      'applied',
      'usage',
      'open request',
      'action',
    ]);
    expect(rows(lines)).toEqual([
      ['L-1216C47A Standard on-demand', 'vCPUs', '3008', '3610', '1536', '1192', '-', 'request 3610'],
      [
        'L-34B43A08 Standard spot',
        'vCPUs',
        '1440',
        '1728',
        '1280',
        '608',
        'd2b7e93a… 1728 PENDING 1d 23h',
        'wait: AWS has not answered',
      ],
      [
        'L-7A658B76 Storage for General Purpose SSD (gp3) volumes',
        'TiB',
        '25.78',
        '31',
        '50 (AWS default)',
        '-',
        '-',
        'ok',
      ],
    ]);
    // Aligned: every row's action starts in the header's action column.
    const actionColumn = lines[1]?.indexOf('action') ?? -1;
    for (const line of lines.slice(2, 5)) expect(line.slice(actionColumn)).toMatch(/^(request|wait|ok)/);
    expect(lines).toContain(
      '3 quotas: 1 request, 1 wait, 1 ok; required = demand + 20 % headroom, rounded up',
    );
    expect(lines.at(-1)).toBe('filed: nothing (dry run)');
    expect(lines.some((line) => line.startsWith('ALARM'))).toBe(false);
  });

  it('given answers, demand problems, code notes and failures, should list each below the table', () => {
    const denied = decide({
      quotaCode: 'L-DB2E81BA',
      quotaName: G,
      applied: undefined,
      defaultValue: 64,
      demand: 352,
      required: 423,
      request: {
        status: 'DENIED',
        desiredValue: 346,
        createdAt: NOW - 5 * DAY,
        updatedAt: NOW - 12 * HOUR,
        caseId: '17319652078',
      },
      recorded: { status: 'PENDING', lastCheckedAt: NOW - DAY },
    });
    const lines = formatQuotaPlan(
      run([denied], {
        demand: {
          ...demandOf([denied]),
          problems: [
            {
              kind: 'unknown-vcpus',
              cluster: 'ml-1',
              source: 'system',
              instanceType: 'm6i.8xl',
              message: 'ml-1, system: vCPUs of m6i.8xl unknown (not in DescribeInstanceTypes); not counted',
            },
          ],
        },
        poolProblems: [{ cluster: 'ml-1', message: 'group ml-1-x has no instance types' }],
        codeChecks: [
          { status: 'confirmed', code: 'L-1216C47A', name: STANDARD, useCode: 'L-1216C47A' },
          {
            status: 'renamed',
            code: 'L-DB2E81BA',
            name: G,
            listedName: 'Running On-Demand G, VT and Gr instances',
            useCode: 'L-DB2E81BA',
          },
          {
            status: 'moved',
            code: 'L-417A185B',
            name: 'Running On-Demand P instances',
            listedCode: 'L-00000001',
            useCode: 'L-00000001',
          },
          { status: 'missing', code: 'L-F7808C92', name: 'Running On-Demand HPC instances' },
        ],
        failures: [
          {
            serviceCode: 'ec2',
            quotaCode: 'L-34B43A08',
            step: 'history',
            reason: 'Throttled',
            message: 'ListRequestedServiceQuotaChangeHistoryByQuota ec2/L-34B43A08: Rate exceeded',
          },
        ],
        followed: ['L-34B43A08'],
      }),
      { now: NOW },
    );
    expect(lines[0]).toBe('account 123456789012, eu-central-1: dry run');
    expect(lines).toContain(
      'ALARM: usage or demand above the alarm threshold of the applied value, and no request open',
    );
    expect(lines.slice(lines.indexOf('AWS answered since the last run:'))).toEqual([
      'AWS answered since the last run:',
      '  L-DB2E81BA G and VT on-demand: DENIED the request for 346 vCPUs (case 17319652078)',
      'followed, no demand now (an open request on record): L-34B43A08',
      'demand problems (not counted above):',
      '  ml-1, system: vCPUs of m6i.8xl unknown (not in DescribeInstanceTypes); not counted',
      '  ml-1: group ml-1-x has no instance types',
      'quota codes: 1 of 4 confirmed by name (ListServiceQuotas)',
      '  L-DB2E81BA is listed as "Running On-Demand G, VT and Gr instances", the table says "Running On-Demand G and VT instances": code kept, update the table',
      '  "Running On-Demand P instances" is listed under L-00000001, not L-417A185B: L-00000001 used, update the table',
      '  L-F7808C92 "Running On-Demand HPC instances" is not listed in eu-central-1: skipped',
      'failures:',
      '  history ec2/L-34B43A08: Throttled: ListRequestedServiceQuotaChangeHistoryByQuota ec2/L-34B43A08: Rate exceeded',
      'filed: nothing (dry run)',
    ]);
  });

  it('given a live run that filed, should list what it filed', () => {
    const lines = formatQuotaPlan(
      run([decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD })], {
        dryRun: false,
        filed: [
          {
            serviceCode: 'ec2',
            quotaCode: 'L-1216C47A',
            desiredValue: 3610,
            requestId: 'e0c1',
            caseId: '17330000001',
            alreadyOpen: false,
          },
        ],
      }),
      { now: NOW },
    );
    expect(lines[0]).toBe('account 123456789012, eu-central-1: live run');
    expect(lines.slice(-2)).toEqual(['filed:', '  ec2/L-1216C47A 3610 (request e0c1, case 17330000001)']);
  });

  it('given verbose, should add each quota’s reason and its demand per pool', () => {
    const decision = decide({ quotaCode: 'L-1216C47A', quotaName: STANDARD });
    const demand = demandOf([decision]);
    const [quota] = demand.quotas;
    if (!quota) throw new Error('no demand');
    quota.contributions.push({
      cluster: 'kube-prod-1',
      source: 'pool',
      name: 'default',
      amount: 1920,
      formula: '3 zones × 40 nodes × 16 vCPUs (m7i.4xlarge) = 1920',
    });
    const lines = formatQuotaPlan(run([decision], { demand }), { now: NOW, verbose: true });
    const why = lines.indexOf('why:');
    expect(lines.slice(why, why + 3)).toEqual([
      'why:',
      `  L-1216C47A: ${decision.reason}`,
      '    - kube-prod-1, node pool default: 3 zones × 40 nodes × 16 vCPUs (m7i.4xlarge) = 1920',
    ]);
  });

  it('given no quota with demand, should say so instead of an empty table', () => {
    const lines = formatQuotaPlan(run([]), { now: NOW });
    expect(lines[1]).toBe('no quota to check: no node pool or extra quota makes demand here');
    expect(lines).toContain('quota codes: not confirmed this run');
  });
});
