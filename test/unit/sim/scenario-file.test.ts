import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CA_ENABLED_TAG, clusterTag, NODE_POOL_TAG, PRIORITY_TAG } from '../../../shared/nodepools/pools';
import { SPOT_TAINT } from '../../../shared/nodepools/template-node';
import type { Scenario } from '../../../shared/sim/scenario';
import {
  loadScenarioFile,
  parseScenarioDocument,
  parseScenarioText,
  scenarioFileJsonSchema,
} from '../../../shared/sim/scenario-file';
import { parseTraceCsv } from '../../../shared/sim/scenario-file-csv';
import { FormulaError, parseFormula } from '../../../shared/sim/scenario-file-formula';
import {
  clockOffsetMs,
  parseDuration,
  parseInstant,
  scenarioTimeOffsetMs,
  zoneOffsetMinutes,
} from '../../../shared/sim/scenario-file-time';
import { createTrace, type TraceSpec } from '../../../shared/sim/traces';

const SCENARIOS_DIR = 'scenarios';
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** 3 June 2025, 07:00 CEST. */
const START = Date.UTC(2025, 5, 3, 5, 0, 0);

/** The smallest valid file: one pool, one service; `overrides` replace top-level keys. */
function minimal(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    name: 'tiny',
    start: '2025-06-03T07:00:00+02:00',
    duration: '3h',
    cluster: { name: 'tiny', zones: ['eu-central-1a'] },
    nodePools: { pools: [{ name: 'default', instanceType: 'm5.xlarge', perZone: { min: 1, max: 3 } }] },
    services: [service('web')],
    ...overrides,
  };
}

function service(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    namespace: 'shop',
    name,
    replicas: 2,
    containers: [{ name, requests: { cpu: '250m', memory: '256Mi' } }],
    load: { kind: 'constant', rps: 50 },
    cost: { cpuBaseMillis: 10, cpuMillisPerRps: 1, memoryBaseMi: 100, memoryMiPerRps: 0 },
    ...overrides,
  };
}

function parse(document: unknown, files: Record<string, string> = {}) {
  return parseScenarioDocument(document, {
    file: 'test/scenario.yaml',
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error('ENOENT: no such file');
      return text;
    },
  });
}

function scenarioOf(document: unknown, files: Record<string, string> = {}): Scenario {
  const result = parse(document, files);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.scenario;
}

function problemsOf(document: unknown, files: Record<string, string> = {}): string[] {
  const result = parse(document, files);
  if (result.ok) throw new Error('expected problems, the file was accepted');
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

/** The first service's load as the simulator will evaluate it, at minutes after the start. */
function loadAt(scenario: Scenario, minutes: number): number {
  const load = scenario.services[0]?.load as TraceSpec;
  const trace = createTrace(load, {
    start: scenario.start,
    utcOffsetMinutes: scenario.utcOffsetMinutes,
    seed: 1,
  });
  return trace(scenario.start + minutes * MINUTE_MS);
}

function withLoad(load: unknown): Record<string, unknown> {
  return minimal({ services: [service('web', { load })] });
}

describe('scenario files', () => {
  it('given the minimal file, should map it onto the Scenario type', () => {
    const scenario = scenarioOf(minimal());
    expect(scenario).toMatchObject({
      name: 'tiny',
      clusterName: 'tiny',
      region: 'eu-central-1',
      seed: 1,
      start: START,
      utcOffsetMinutes: 120,
      durationMs: 3 * HOUR_MS,
      tickIntervalMs: 15_000,
      sampleIntervalMs: 5 * MINUTE_MS,
    });
    expect(scenario.nodeGroups).toEqual([
      expect.objectContaining({
        name: 'default-a',
        minSize: 1,
        maxSize: 3,
        desiredCapacity: 1,
        availabilityZones: ['eu-central-1a'],
        instanceType: 'm5.xlarge',
        capacityType: 'on-demand',
      }),
    ]);
    expect(scenario.nodePools?.pools).toEqual([
      expect.objectContaining({ name: 'default', asgs: ['default-a'] }),
    ]);
    expect(scenario.services[0]).toMatchObject({ namespace: 'shop', name: 'web', replicas: 2 });
  });

  it('given every example file under scenarios/, should accept it', async () => {
    const files = readdirSync(SCENARIOS_DIR).filter((file) => /\.ya?ml$/.test(file));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const result = await loadScenarioFile(join(SCENARIOS_DIR, file));
      expect(result.ok ? 'ok' : result.problems, file).toBe('ok');
    }
  });

  it('given the same file as JSON, should read it the same', () => {
    const document = minimal();
    const fromYaml = parseScenarioText(stringify(document), { file: 'x' });
    const fromJson = parseScenarioText(JSON.stringify(document), { file: 'x' });
    expect(fromYaml.ok && fromJson.ok).toBe(true);
    if (fromYaml.ok && fromJson.ok) expect(fromJson.scenario).toEqual(fromYaml.scenario);
  });

  it('given text that is not YAML, should say so and run nothing', () => {
    const result = parseScenarioText('version: [1', { file: 'x.yaml' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toContain('not valid YAML or JSON');
  });

  describe('time', () => {
    it('given a local start and an IANA zone, should take the zone’s offset at the start', () => {
      const summer = scenarioOf(minimal({ start: '2025-06-03T07:00:00', timeZone: 'Europe/Berlin' }));
      expect(summer).toMatchObject({ start: START, utcOffsetMinutes: 120 });
      const winter = scenarioOf(minimal({ start: '2025-01-14T07:00:00', timeZone: 'Europe/Berlin' }));
      expect(winter).toMatchObject({ start: Date.UTC(2025, 0, 14, 6), utcOffsetMinutes: 60 });
    });

    it('given a fixed utcOffsetMinutes, should read a local start at it', () => {
      const scenario = scenarioOf(minimal({ start: '2025-06-03T07:00', utcOffsetMinutes: -300 }));
      expect(scenario).toMatchObject({ start: Date.UTC(2025, 5, 3, 12), utcOffsetMinutes: -300 });
    });

    it('should parse durations, instants, local clock times and zone offsets', () => {
      expect(parseDuration('1h30m')).toBe(90 * MINUTE_MS);
      expect(parseDuration('2d')).toBe(48 * HOUR_MS);
      expect(parseDuration('250ms')).toBe(250);
      expect(parseDuration('1.5h')).toBe(90 * MINUTE_MS);
      expect(parseDuration('90')).toBeUndefined();
      expect(parseDuration('1 h')).toBeUndefined();
      expect(parseInstant('2025-06-03T07:00:00Z', 120)).toEqual({
        epochMs: Date.UTC(2025, 5, 3, 7),
        offsetMinutes: 0,
      });
      expect(parseInstant('2025-06-03 07:00', 120)).toEqual({ epochMs: START });
      expect(parseInstant('2025-02-30T07:00:00Z', 0)).toBeUndefined();
      expect(clockOffsetMs('19:30', START, 120)).toBe(12.5 * HOUR_MS);
      expect(clockOffsetMs('06:00', START, 120)).toBe(23 * HOUR_MS);
      expect(scenarioTimeOffsetMs('2025-06-03T08:00:00+02:00', START, 120)).toBe(HOUR_MS);
      expect(zoneOffsetMinutes('Asia/Kolkata', START)).toBe(330);
      expect(zoneOffsetMinutes('America/St_Johns', Date.UTC(2025, 0, 1))).toBe(-210);
      expect(zoneOffsetMinutes('UTC', START)).toBe(0);
    });
  });

  describe('traces', () => {
    it('given the trace kinds of traces.ts, should pass them through', () => {
      expect(scenarioOf(withLoad({ kind: 'constant', rps: 7 })).services[0]?.load).toEqual({
        kind: 'constant',
        rps: 7,
      });
      const steps = {
        kind: 'steps',
        steps: [
          { atMinute: 0, rps: 1 },
          { atMinute: 30, rps: 5 },
        ],
      };
      expect(scenarioOf(withLoad(steps)).services[0]?.load).toEqual(steps);
      const day = {
        kind: 'european-day',
        peakRps: 300,
        nightFraction: 0.2,
        bursts: [{ atHour: 20, durationMinutes: 30, factor: 2 }],
      };
      expect(scenarioOf(withLoad(day)).services[0]?.load).toEqual(day);
    });

    it('given inline points with linear interpolation, should join them with straight lines', () => {
      const scenario = scenarioOf(
        withLoad({
          kind: 'points',
          points: [
            [0, 100],
            ['1h', 160],
            [120, 160],
          ],
        }),
      );
      expect(loadAt(scenario, 0)).toBe(100);
      expect(loadAt(scenario, 30)).toBeCloseTo(130, 6);
      expect(loadAt(scenario, 59)).toBeCloseTo(159, 6);
      expect(loadAt(scenario, 150)).toBe(160);
    });

    it('given inline points with step interpolation, should hold each value until the next point', () => {
      const points = [
        ['30m', 10],
        ['2025-06-03T08:00:00+02:00', 40],
      ];
      const scenario = scenarioOf(withLoad({ kind: 'points', interpolation: 'step', points }));
      expect(loadAt(scenario, 0)).toBe(10);
      expect(loadAt(scenario, 59.9)).toBe(10);
      expect(loadAt(scenario, 60)).toBe(40);
      expect(scenario.services[0]?.load).toEqual({
        kind: 'steps',
        steps: [
          { atMinute: 0, rps: 10 },
          { atMinute: 60, rps: 40 },
        ],
      });
    });

    it('given points out of time order, should name the point', () => {
      expect(
        problemsOf(
          withLoad({
            kind: 'points',
            points: [
              ['1h', 1],
              ['30m', 2],
            ],
          }),
        ),
      ).toEqual(['services[0].load.points[1][0]: points must be in time order, each after the last']);
    });

    it('given a formula, should sample it over the run at its resolution', () => {
      const scenario = scenarioOf(
        withLoad({ kind: 'formula', expression: '100 + 10 * t + hour', resolution: '15m' }),
      );
      // 07:00 local at the start; t in hours.
      expect(loadAt(scenario, 0)).toBe(107);
      expect(loadAt(scenario, 90)).toBeCloseTo(100 + 15 + 8.5, 6);
      expect(loadAt(scenario, 100)).toBeCloseTo(100 + 15 + 8.5, 6);
    });

    it('given a formula that goes negative, should count it as 0; one that is not finite, should refuse it', () => {
      expect(loadAt(scenarioOf(withLoad({ kind: 'formula', expression: '10 - 20 * t' })), 60)).toBe(0);
      expect(problemsOf(withLoad({ kind: 'formula', expression: 'sqrt(1 - t)' }))).toEqual([
        expect.stringMatching(/^services\[0\]\.load\.expression: is NaN at t = 1\.01\d* h/),
      ]);
    });

    it('given a formula outside the grammar, should name the column', () => {
      expect(problemsOf(withLoad({ kind: 'formula', expression: '1 + process.exit(1)' }))).toEqual([
        'services[0].load.expression: unexpected "." at column 12',
      ]);
    });

    it('given a CSV of epoch seconds aligned to the start, should replay it from the start, scaled', () => {
      const csv = 'timestamp,value\n1717430400,10\n1717430460,20\n1717434000,20\n';
      const scenario = scenarioOf(withLoad({ kind: 'csv', file: 'q.csv', scale: 2 }), { 'q.csv': csv });
      expect(loadAt(scenario, 0)).toBe(20);
      expect(loadAt(scenario, 1)).toBe(40);
      expect(loadAt(scenario, 0.5)).toBe(20);
      expect(loadAt(scenario, 120)).toBe(40);
    });

    it('given a CSV aligned by time of day, should keep each sample at its local time on the scenario’s day', () => {
      // 06:00, 08:00 and 10:00 CEST on 20 May; the scenario starts 07:00 CEST on 3 June.
      const csv = [
        '2025-05-20T06:00:00+02:00,6',
        '2025-05-20 08:00:00,8', // no offset: the scenario's local time
        '1747728000,10', // 2025-05-20T10:00:00+02:00
      ].join('\n');
      const load = { kind: 'csv', file: 'day.csv', align: 'time-of-day', interpolation: 'step' };
      const scenario = scenarioOf(withLoad(load), { 'day.csv': csv });
      expect(loadAt(scenario, 0)).toBe(6);
      expect(loadAt(scenario, 60)).toBe(8);
      expect(loadAt(scenario, 180)).toBe(10);
    });

    it('given a CSV aligned absolutely, should place samples at their own instants', () => {
      const csv = 'time,value\n2025-06-03T07:30:00+02:00,3\n2025-06-03T08:30:00+02:00,9\n';
      const load = { kind: 'csv', file: 'abs.csv', align: 'absolute', interpolation: 'step' };
      const scenario = scenarioOf(withLoad(load), { 'abs.csv': csv });
      expect(loadAt(scenario, 0)).toBe(3);
      expect(loadAt(scenario, 89)).toBe(3);
      expect(loadAt(scenario, 90)).toBe(9);
    });

    it('given a CSV with mistakes, should name the file and each line', () => {
      const csv = [
        '# exported from Prometheus',
        'timestamp,value',
        '1717430400,1',
        '1717430460,abc',
        '1717430400,2',
        'yesterday,3',
        '1717430600,-4',
        '1717430700,5,6',
      ].join('\n');
      expect(problemsOf(withLoad({ kind: 'csv', file: 'bad.csv' }), { 'bad.csv': csv })).toEqual([
        'services[0].load.file: bad.csv:4: value "abc" is not a finite number',
        'services[0].load.file: bad.csv:5: timestamp "1717430400" is not after the one on line 3',
        'services[0].load.file: bad.csv:6: timestamp "yesterday" is neither epoch seconds nor an RFC 3339 time',
        'services[0].load.file: bad.csv:7: value -4 is negative',
        'services[0].load.file: bad.csv:8: expected 2 fields, found 3',
      ]);
    });

    it('given a CSV that cannot be read, should say which', () => {
      expect(problemsOf(withLoad({ kind: 'csv', file: 'missing.csv' }))).toEqual([
        'services[0].load.file: cannot read missing.csv: ENOENT: no such file',
      ]);
    });
  });

  describe('node pools', () => {
    it('given config and tag-discovered pools, should list the first in the settings and tag the second', () => {
      const scenario = scenarioOf(
        minimal({
          cluster: { name: 'tiny', zones: ['eu-central-1a', 'eu-central-1b'] },
          nodePools: {
            settings: { provisionTimeoutSeconds: 240 },
            pools: [
              { name: 'default', instanceType: 'm5.xlarge', perZone: { min: 1, max: 3, initial: 2 } },
              {
                name: 'spot',
                instanceType: 'm5.large',
                capacityType: 'spot',
                discovery: 'tags',
                priority: 5,
                perZone: { max: 2 },
                labels: { 'node-pool': 'spot' },
              },
            ],
            groups: [
              {
                name: 'legacy',
                minSize: 0,
                maxSize: 2,
                desiredCapacity: 0,
                availabilityZones: ['eu-central-1a'],
                instanceType: 'c5.large',
                capacityType: 'on-demand',
              },
            ],
          },
        }),
      );
      expect(scenario.nodeGroups.map((group) => group.name)).toEqual([
        'default-a',
        'default-b',
        'spot-a',
        'spot-b',
        'legacy',
      ]);
      expect(scenario.nodePools).toMatchObject({
        provisionTimeoutSeconds: 240,
        pools: [{ name: 'default', priority: 0, asgs: ['default-a', 'default-b'] }],
      });
      const spot = scenario.nodeGroups.find((group) => group.name === 'spot-a');
      expect(spot?.nodeTaints).toEqual([SPOT_TAINT]);
      expect(spot?.tags).toMatchObject({
        [CA_ENABLED_TAG]: 'true',
        [clusterTag('tiny')]: 'owned',
        [NODE_POOL_TAG]: 'spot',
        [PRIORITY_TAG]: '5',
        'k8s.io/cluster-autoscaler/node-template/label/node-pool': 'spot',
        'k8s.io/cluster-autoscaler/node-template/taint/node.kubernetes.io/lifecycle': 'spot:NoSchedule',
      });
    });

    it('given two groups of one name, should refuse the second', () => {
      const pools = [
        { name: 'web', instanceType: 'm5.large', perZone: { max: 1 } },
        { name: 'web', instanceType: 'm5.large', perZone: { max: 1 } },
      ];
      expect(problemsOf(minimal({ nodePools: { pools } }))).toContain(
        'nodePools.pools[1].zones: group name web-a is already used by nodePools.pools.0.zones',
      );
    });
  });

  describe('services', () => {
    it('given hpa, pdb and vpa, should fill in their targets', () => {
      const scenario = scenarioOf(
        minimal({
          services: [
            service('api', {
              kind: 'StatefulSet',
              hpa: {
                kind: 'HorizontalPodAutoscaler',
                minReplicas: 2,
                maxReplicas: 8,
                metrics: [
                  {
                    type: 'Resource',
                    resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } },
                  },
                ],
              },
              pdb: { maxUnavailable: '25%' },
              vpa: { updatePolicy: { updateMode: 'Off' } },
            }),
          ],
        }),
      );
      expect(scenario.services[0]).toMatchObject({
        kind: 'StatefulSet',
        autoscalerKind: 'HorizontalPodAutoscaler',
        autoscaler: { minReplicas: 2, maxReplicas: 8 },
        disruptionBudget: { maxUnavailable: '25%' },
      });
      expect(scenario.vpa?.objects).toEqual([
        {
          namespace: 'shop',
          name: 'api',
          spec: {
            targetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'api' },
            updatePolicy: { updateMode: 'Off' },
          },
        },
      ]);
    });

    it('given a container memory need as a formula, should compile that trace too', () => {
      const container = {
        name: 'db',
        requests: { cpu: 1, memory: '1Gi' },
        memoryNeed: { needMi: { kind: 'formula', expression: '500 + 100 * t' }, fillSeconds: 60 },
      };
      const scenario = scenarioOf(minimal({ services: [service('db', { containers: [container] })] }));
      const need = scenario.services[0]?.containers[0]?.memoryNeed;
      expect(need?.fillSeconds).toBe(60);
      expect(need?.needMi.kind).toBe('steps');
      expect(scenario.services[0]?.containers[0]?.requests).toEqual({ cpu: '1', memory: '1Gi' });
    });
  });

  describe('report', () => {
    const three = () => [service('web'), service('cart'), service('search', { namespace: 'catalog' })];

    it("given report.services, should keep the list, in its order, as the scenario's reportServices", () => {
      const scenario = scenarioOf(
        minimal({ services: three(), report: { services: ['catalog/search', 'shop/web'] } }),
      );
      expect(scenario.reportServices).toEqual(['catalog/search', 'shop/web']);
      expect(scenarioOf(minimal()).reportServices).toBeUndefined();
    });

    it('given a service the file does not have, or one listed twice, should name its place in the list', () => {
      expect(
        problemsOf(
          minimal({ services: three(), report: { services: ['shop/web', 'shop/search', 'shop/web'] } }),
        ),
      ).toEqual([
        'report.services[1]: no service shop/search in the scenario (it has shop/web, shop/cart, catalog/search)',
        'report.services[2]: shop/web is listed twice (first at [0])',
      ]);
    });

    it('given a key that is not namespace/name, an empty list or another field, should refuse the shape', () => {
      expect(problemsOf(minimal({ report: { services: ['web'] } }))).toEqual([
        'report.services[0]: a service as namespace/name, e.g. shop/web',
      ]);
      expect(problemsOf(minimal({ report: { services: [] } }))).toHaveLength(1);
      expect(problemsOf(minimal({ report: { charts: 3 } }))[0]).toMatch(/^report: .*charts/);
    });

    it('should describe report.services in the JSON Schema', () => {
      const schema = scenarioFileJsonSchema() as {
        properties: { report: { properties: { services: { type: string; description: string } } } };
      };
      expect(schema.properties.report.properties.services).toMatchObject({ type: 'array' });
      expect(schema.properties.report.properties.services.description).toMatch(/namespace\/name/);
    });
  });

  describe('validation errors', () => {
    it('given a mistake deep in the fourth service, should name its path and the rule', () => {
      const bad = service('d', {
        hpa: {
          maxReplicas: 4,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageValue: '2' } },
            },
          ],
        },
      });
      const problems = problemsOf(minimal({ services: [service('a'), service('b'), service('c'), bad] }));
      expect(problems).toContain(
        'services[3].hpa.metrics[0].resource.target.averageUtilization: Required value: must be set for target type Utilization',
      );
    });

    it('given shape mistakes, should report every one with its path, a union by its closest option', () => {
      const problems = problemsOf(
        minimal({
          duration: '3 hours',
          services: [
            service('a', {
              containers: [{ name: 'a', requests: { cpu: 'lots' } }],
              load: { kind: 'sine', rps: 1 },
              hpa: {
                maxReplicas: 2,
                metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Percent' } } }],
              },
            }),
          ],
          faults: [{ kind: 'lambda-crash', at: '1h', loop: 'nodepools' }],
        }),
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          'duration: a duration like 90s, 15m, 1h30m or 2d',
          'services[0].containers[0].requests.cpu: a Kubernetes quantity like 250m, 1.5 or 512Mi',
          expect.stringMatching(/^services\[0\]\.load\.kind: /),
          expect.stringMatching(/^services\[0\]\.hpa\.metrics\[0\]\.resource\.target\.type: /),
          expect.stringMatching(/^faults\[0\]\.loop: .*"node-pools"/),
        ]),
      );
      expect(problems).toHaveLength(5);
    });

    it('given unknown keys, should refuse them rather than ignore a typo', () => {
      expect(problemsOf(minimal({ servies: [] }))).toEqual([expect.stringMatching(/^\(root\): .*servies/)]);
    });

    it('given both timeZone and utcOffsetMinutes, should ask for one', () => {
      expect(problemsOf(minimal({ timeZone: 'Europe/Berlin', utcOffsetMinutes: 60 }))).toEqual([
        'utcOffsetMinutes: give timeZone or utcOffsetMinutes, not both',
      ]);
      expect(problemsOf(minimal({ timeZone: 'Mars/Olympus' }))).toEqual([
        'timeZone: an IANA time zone like Europe/Berlin',
      ]);
    });

    it('given faults at bad times or on missing groups, should name the field', () => {
      const problems = problemsOf(
        minimal({
          faults: [
            { kind: 'spot-interruption', at: '1h', group: 'nope-a' },
            { kind: 'aws-throttling', at: '4h', for: '10m', api: 'SetDesiredCapacity' },
            { kind: 'api-errors', at: '1h', method: 'listPods' },
            { kind: 'capacity', at: 'noon', instanceType: 'm5.xlarge', zone: 'eu-central-1a' },
          ],
        }),
      );
      expect(problems).toEqual([
        'faults[0].group: no Auto Scaling group nope-a (groups: default-a)',
        'faults[1].at: "4h" lies outside the scenario',
        'faults[2]: give exactly one of for (a duration) or until (a time)',
        expect.stringMatching(/^faults\[3\]\.at: "noon" is not an offset from the start/),
      ]);
    });

    it('given a duplicate service, should refuse the second', () => {
      expect(problemsOf(minimal({ services: [service('a'), service('a')] }))).toEqual([
        'services[1].name: shop/a is already services[0]',
      ]);
    });

    it('given a second container without its own usage, should say only the first follows the load', () => {
      const containers = [
        { name: 'a', requests: { cpu: '100m' } },
        { name: 'sidecar', requests: { cpu: '10m' } },
      ];
      expect(problemsOf(minimal({ services: [service('a', { containers })] }))).toEqual([
        'services[0].containers[1]: only the first container follows the load: give this one fixedUsage (or memoryNeed)',
      ]);
    });

    it('given control-plane settings the loop refuses, should name them under controlPlane.settings', () => {
      const controlPlane = {
        settings: { ladder: { floor: 'huge' } },
        ec2: {
          instanceType: 'm6i.xlarge',
          groups: [{ name: 'cp-a', availabilityZones: ['eu-central-1a'], instances: 1 }],
        },
        load: { podsPerNode: 30, nodes: { kind: 'constant', rps: 100 } },
      };
      expect(problemsOf(minimal({ controlPlane }))).toEqual([
        'controlPlane.settings.ladder.floor: an EC2 instance type like m5.xlarge',
      ]);
    });
  });

  it('given the committed scenarios/scenario.schema.json, should match the schema the code exports', () => {
    const committed = JSON.parse(readFileSync(join(SCENARIOS_DIR, 'scenario.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioFileJsonSchema())));
  });
});

describe('the formula language', () => {
  const at = (source: string, t = 0, hour = 0, day = 0) => parseFormula(source)({ t, hour, day });

  it('should compute with the usual precedence, unary signs and parentheses', () => {
    expect(at('1 + 2 * 3')).toBe(7);
    expect(at('(1 + 2) * 3')).toBe(9);
    expect(at('10 / 4 - 1')).toBe(1.5);
    expect(at('-2 * -3')).toBe(6);
    expect(at('- (1 + 1)')).toBe(-2);
    expect(at('2 - 3 - 4')).toBe(-5);
    expect(at('1.5e2 + .5')).toBe(150.5);
  });

  it('should read the time variables and constants, and call the functions', () => {
    expect(at('t + hour + day', 1, 2, 3)).toBe(6);
    expect(at('sin(pi / 2) + cos(0) + exp(0)')).toBe(3);
    expect(at('min(3, 1, 2) + max(3, 1, 2) + abs(-4)')).toBe(8);
    expect(at('sqrt(16) + floor(2.7) + pow(2, 10)')).toBe(1030);
    expect(at('e')).toBe(Math.E);
  });

  it.each([
    ['process.exit(1)', 'unexpected "." at column 8'],
    ['constructor', 'unknown name "constructor"'],
    ['__proto__', 'unknown name "__proto__"'],
    ['toString(1)', 'unknown function "toString"'],
    ['eval("1")', 'unexpected "\\"" at column 6'],
    ['1; 2', 'unexpected ";" at column 2'],
    ['x => 1', 'unexpected "=" at column 3'],
    ['[1, 2]', 'unexpected "[" at column 1'],
    ['2 ** 3', 'expected a number, a name or "(" but found "*" at column 4'],
    ['t = 1', 'unexpected "=" at column 3'],
    ['1 +', 'expected a number, a name or "(" but found the end of the formula at column 4'],
    ['(1 + 2', 'expected ")" to close the "(" at column 1 but found the end of the formula at column 7'],
    ['sin(1, 2)', '"sin" takes 1 argument, got 2'],
    ['pow(2)', '"pow" takes 2 arguments, got 1'],
    ['t(1)', 'unknown function "t"'],
    ['sin + 1', '"sin" is a function: call it as sin(...)'],
    ['1 2', 'unexpected "2" at column 3'],
    ['', 'empty formula'],
  ])('should refuse %j: %s', (source, message) => {
    expect(() => parseFormula(source)).toThrow(FormulaError);
    expect(() => parseFormula(source)).toThrow(message);
  });

  it('should refuse nesting that could exhaust the stack, and very long formulas', () => {
    expect(() => parseFormula(`${'('.repeat(100)}1${')'.repeat(100)}`)).toThrow(
      'nested deeper than 64 levels',
    );
    expect(() => parseFormula(`${'-'.repeat(100)}1`)).toThrow('nested deeper than 64 levels');
    expect(() => parseFormula(`1${' + 1'.repeat(600)}`)).toThrow('longer than 2000 characters');
  });
});

describe('CSV traces', () => {
  const csv = (text: string, columns?: { timestamp?: string; value?: string }) =>
    parseTraceCsv(text, { utcOffsetMinutes: 120, ...(columns ? { columns } : {}) });

  it('should read a headerless file, quoted fields and other separators', () => {
    expect(csv('1717430400,1.5\n1717430460,2\n')).toEqual({
      ok: true,
      samples: [
        { time: 1717430400_000, value: 1.5, line: 1 },
        { time: 1717430460_000, value: 2, line: 2 },
      ],
    });
    expect(csv('"Time";"orders"\n"2025-06-03 10:00:00";"4"\n')).toEqual({
      ok: true,
      samples: [{ time: Date.UTC(2025, 5, 3, 8), value: 4, line: 2 }],
    });
    expect(csv('1717430400123\t7\n')).toMatchObject({ ok: true, samples: [{ time: 1717430400123 }] });
  });

  it('should pick the named columns of a wider file', () => {
    const text = 'queue,value,timestamp\norders,3,1717430400\n';
    expect(csv(text)).toMatchObject({ ok: true, samples: [{ value: 3, time: 1717430400_000 }] });
    expect(csv('a,b,c\n1,2,3\n')).toEqual({
      ok: false,
      problems: [{ line: 1, message: 'the header names no timestamp or time column' }],
    });
    expect(csv('at,queue,n\n1717430400,orders,5\n', { timestamp: 'at', value: 'n' })).toMatchObject({
      ok: true,
      samples: [{ value: 5 }],
    });
    expect(csv('1717430400,orders,5\n')).toEqual({
      ok: false,
      problems: [{ line: 1, message: 'expected 2 columns (timestamp, value), found 3' }],
    });
  });

  it('should refuse an empty file', () => {
    expect(csv('# nothing\n\n')).toEqual({ ok: false, problems: [{ message: 'no samples' }] });
  });
});
