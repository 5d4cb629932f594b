import { beforeAll, describe, expect, it } from 'vitest';
import { type InstanceTypeRecording, loadRecording, RecordedEc2 } from '../../../shared/cli/recorded-ec2';
import {
  buildLadder,
  candidatesFrom,
  familyOf,
  type Ladder,
  type LadderOptions,
  pickForRung,
  stepFrom,
} from '../../../shared/controlplane/ladder';
import type { Architecture, InstanceTypeInfo } from '../../../shared/ports/ec2';

// The ladder over AWS's real eu-central-1 catalogue as recorded in shared/controlplane/fixtures (moto's
// copy of DescribeInstanceTypes and DescribeInstanceTypeOfferings). Every expected type below was read
// from the recording by hand (or a one-off query of the JSON), not from the code under test.

const ZONES = ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'];

const M7I = [
  'm7i.large',
  'm7i.xlarge',
  'm7i.2xlarge',
  'm7i.4xlarge',
  'm7i.8xlarge',
  'm7i.12xlarge',
  'm7i.16xlarge',
  'm7i.24xlarge',
  'm7i.48xlarge',
];

let recording: InstanceTypeRecording;
let types: InstanceTypeInfo[];
let offerings: Map<string, string[]>;

beforeAll(async () => {
  recording = await loadRecording('eu-central-1');
  const ec2 = new RecordedEc2(recording);
  // Every type of the recording, so each filter of the ladder (not EC2's) has to do its work.
  types = await ec2.listInstanceTypes({});
  offerings = await ec2.describeInstanceTypeOfferings([]);
});

function ladderOf(
  options: Partial<LadderOptions> & { architecture?: Architecture; zones?: string[]; current?: string } = {},
): Ladder {
  return buildLadder({
    types,
    offerings,
    zones: options.zones ?? ZONES,
    architecture: options.architecture ?? 'x86_64',
    options: {
      allowBurstable: options.allowBurstable ?? false,
      families: options.families ?? [],
      excludeFamilies: options.excludeFamilies ?? [],
    },
    current: options.current,
  });
}

const names = (ladder: Ladder) => ladder.steps.map((rung) => rung.instanceType);
const reasonOf = (ladder: Ladder, type: string) => ladder.excluded.find((e) => e.instanceType === type);

describe('the recorded fixture', () => {
  it('should be eu-central-1 with its three zones and the whole catalogue', () => {
    expect(recording.region).toBe('eu-central-1');
    expect(recording.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(recording.InstanceTypes.length).toBe(1395);
    expect(offerings.get('m7i.xlarge')).toEqual(ZONES);
    expect(offerings.get('m5zn.xlarge')).toEqual(['eu-central-1a', 'eu-central-1b']);
  });
});

describe('buildLadder on eu-central-1', () => {
  it('given the m7i family, should climb its sizes in order and leave the metal sizes out', () => {
    const ladder = ladderOf({ families: ['m7i'] });
    expect(names(ladder)).toEqual(M7I);
    expect(ladder.steps.slice(0, 2)).toEqual([
      { instanceType: 'm7i.large', vcpus: 2, memoryMiB: 8192, sameSize: [] },
      { instanceType: 'm7i.xlarge', vcpus: 4, memoryMiB: 16384, sameSize: [] },
    ]);
    expect(reasonOf(ladder, 'm7i.metal-24xl')).toMatchObject({ reason: 'bare-metal' });
    expect(reasonOf(ladder, 'm7i.metal-48xl')).toMatchObject({ reason: 'bare-metal' });
  });

  it('given m6i, should find no rung: AWS lists m6i as previous generation in this data', () => {
    const ladder = ladderOf({ families: ['m6i'] });
    expect(ladder.steps).toEqual([]);
    const m6i = ladder.excluded.filter((e) => familyOf(e.instanceType) === 'm6i');
    expect(m6i).toHaveLength(10);
    expect(new Set(m6i.map((e) => e.reason))).toEqual(new Set(['previous-generation']));
  });

  it('given burstable types not allowed, should leave them out, t8i (unflagged by EC2) too', () => {
    const ladder = ladderOf({ families: ['t3', 'm7i'] });
    expect(names(ladder)).toEqual(M7I);
    expect(reasonOf(ladder, 't3.large')).toMatchObject({ reason: 'burstable' });
    const t8i = recording.InstanceTypes.find((t) => t.InstanceType === 't8i.micro');
    expect(t8i?.BurstablePerformanceSupported).toBe(false);
    expect(reasonOf(ladderOf(), 't8i.micro')).toMatchObject({ reason: 'burstable' });
  });

  it('given burstable types allowed, should put them on rungs, the first listed family winning ties', () => {
    expect(names(ladderOf({ families: ['t3', 'm7i'], allowBurstable: true }))).toEqual([
      't3.nano',
      't3.micro',
      't3.small',
      't3.medium',
      't3.large',
      't3.xlarge',
      't3.2xlarge',
      'm7i.4xlarge',
      'm7i.8xlarge',
      'm7i.12xlarge',
      'm7i.16xlarge',
      'm7i.24xlarge',
      'm7i.48xlarge',
    ]);
  });

  it('given arm64, should climb m7g and refuse m7i for its architecture; x86_64 the other way round', () => {
    const arm = ladderOf({ architecture: 'arm64', families: ['m7g', 'm7i'] });
    expect(names(arm)).toEqual([
      'm7g.medium',
      'm7g.large',
      'm7g.xlarge',
      'm7g.2xlarge',
      'm7g.4xlarge',
      'm7g.8xlarge',
      'm7g.12xlarge',
      'm7g.16xlarge',
    ]);
    expect(reasonOf(arm, 'm7i.large')).toMatchObject({ reason: 'architecture', detail: 'no arm64 (x86_64)' });
    expect(reasonOf(arm, 'm7g.metal')).toMatchObject({ reason: 'bare-metal' });
    const x86 = ladderOf({ architecture: 'x86_64', families: ['m7g', 'm7i'] });
    expect(names(x86)).toEqual(M7I);
    expect(reasonOf(x86, 'm7g.large')).toMatchObject({ reason: 'architecture' });
  });

  it('given a zone where m5zn is not offered, should leave m5zn out; without that zone, keep it', () => {
    const m5zn = [
      'm5zn.large',
      'm5zn.xlarge',
      'm5zn.2xlarge',
      'm5zn.3xlarge',
      'm5zn.6xlarge',
      'm5zn.12xlarge',
    ];
    expect(names(ladderOf({ families: ['m5zn'], zones: ['eu-central-1a', 'eu-central-1b'] }))).toEqual(m5zn);
    const all = ladderOf({ families: ['m5zn'] });
    expect(all.steps).toEqual([]);
    expect(reasonOf(all, 'm5zn.large')).toMatchObject({
      reason: 'not-offered',
      detail: 'not offered in eu-central-1c',
    });
    expect(names(ladderOf({ families: ['m5zn'], zones: [] }))).toEqual(m5zn);
  });

  it('given a type the region does not offer at all, should say so', () => {
    expect(reasonOf(ladderOf({ zones: [] }), 'h1.2xlarge')).toMatchObject({
      reason: 'not-offered',
      detail: 'not offered in the region',
    });
  });

  it('given GPUs and accelerators, should leave those types out', () => {
    const ladder = ladderOf();
    expect(reasonOf(ladder, 'g6.xlarge')).toMatchObject({ reason: 'gpu', detail: '1 GPU' });
    expect(reasonOf(ladder, 'inf2.xlarge')).toMatchObject({ reason: 'accelerator', detail: '1 accelerator' });
    expect(reasonOf(ladder, 'f2.12xlarge')).toMatchObject({
      reason: 'accelerator',
      detail: '2 accelerators',
    });
    expect(reasonOf(ladder, 'vt1.3xlarge')).toMatchObject({ reason: 'accelerator' });
  });

  it('given allowed and excluded families, should keep only the allowed ones not excluded', () => {
    const ladder = ladderOf({ families: ['m7i', 'm7i-flex'], excludeFamilies: ['m7i'] });
    expect(names(ladder)).toEqual([
      'm7i-flex.large',
      'm7i-flex.xlarge',
      'm7i-flex.2xlarge',
      'm7i-flex.4xlarge',
      'm7i-flex.8xlarge',
      'm7i-flex.12xlarge',
      'm7i-flex.16xlarge',
    ]);
    expect(reasonOf(ladder, 'm7i.xlarge')).toMatchObject({ reason: 'family-excluded' });
    expect(reasonOf(ladder, 'c7i.xlarge')).toMatchObject({
      reason: 'family-not-allowed',
      detail: 'family c7i is not in m7i, m7i-flex',
    });
  });

  it('given every family, should keep one type per size by the stable rule, newest generation first', () => {
    const ladder = ladderOf();
    const rung = ladder.steps.find((r) => r.vcpus === 4 && r.memoryMiB === 16384);
    // The current-generation x86_64 types of 4 vCPUs and 16 GiB without GPUs, offered in all three zones.
    expect(rung).toEqual({
      instanceType: 'm8a.xlarge',
      vcpus: 4,
      memoryMiB: 16384,
      sameSize: [
        'd3en.xlarge',
        'm5a.xlarge',
        'm5d.xlarge',
        'm5dn.xlarge',
        'm5n.xlarge',
        'm6a.xlarge',
        'm6id.xlarge',
        'm6idn.xlarge',
        'm6in.xlarge',
        'm7a.xlarge',
        'm7i-flex.xlarge',
        'm7i.xlarge',
        'm8azn.xlarge',
        'm8i-flex.xlarge',
        'm8i.xlarge',
        'm8id.xlarge',
      ],
    });
    expect(reasonOf(ladder, 'm8i.xlarge')).toMatchObject({
      reason: 'same-size',
      detail: 'same size as m8a.xlarge',
    });
    const withoutM8a = ladderOf({ excludeFamilies: ['m8a'] });
    expect(withoutM8a.steps.find((r) => r.vcpus === 4 && r.memoryMiB === 16384)?.instanceType).toBe(
      'm8i.xlarge',
    );
  });

  it('given two families of the same sizes, should follow the families order, and the current family first', () => {
    const m7iFirst = ladderOf({ families: ['m7i', 'm7i-flex'] });
    expect(names(m7iFirst)).toEqual(M7I);
    expect(m7iFirst.steps[1]?.sameSize).toEqual(['m7i-flex.xlarge']);
    expect(names(ladderOf({ families: ['m7i-flex', 'm7i'] }))).toEqual([
      'm7i-flex.large',
      'm7i-flex.xlarge',
      'm7i-flex.2xlarge',
      'm7i-flex.4xlarge',
      'm7i-flex.8xlarge',
      'm7i-flex.12xlarge',
      'm7i-flex.16xlarge',
      'm7i.24xlarge',
      'm7i.48xlarge',
    ]);
    expect(names(ladderOf({ families: ['m7i-flex', 'm7i'], current: 'm7i.xlarge' }))).toEqual(M7I);
  });

  it('should give every excluded type a reason and a detail', () => {
    const ladder = ladderOf({ families: ['m7i'] });
    expect(ladder.steps.length + ladder.excluded.length).toBe(recording.InstanceTypes.length);
    for (const excluded of ladder.excluded) expect(excluded.detail, excluded.instanceType).not.toBe('');
  });
});

describe('pickForRung', () => {
  it('should prefer the current type, its family, the families order, then generation, plainness, name', () => {
    expect(pickForRung(['m7i.xlarge', 'm8i.xlarge'], { families: [] }, 'm7i.xlarge')).toBe('m7i.xlarge');
    expect(pickForRung(['m7i.xlarge', 'm8i.xlarge'], { families: [] }, 'm7i.2xlarge')).toBe('m7i.xlarge');
    expect(pickForRung(['m7i.xlarge', 'm8i.xlarge'], { families: ['m7i', 'm8i'] })).toBe('m7i.xlarge');
    expect(pickForRung(['m7i.xlarge', 'm8i.xlarge'], { families: [] })).toBe('m8i.xlarge');
    expect(pickForRung(['m8i-flex.xlarge', 'm8id.xlarge', 'm8i.xlarge'], { families: [] })).toBe(
      'm8i.xlarge',
    );
    expect(pickForRung(['m8i.xlarge', 'm8a.xlarge'], { families: [] })).toBe('m8a.xlarge');
  });
});

describe('stepFrom on the m7i ladder', () => {
  let ladder: Ladder;
  beforeAll(() => {
    ladder = ladderOf({ families: ['m7i'] });
  });

  it('should go one rung up and down', () => {
    expect(stepFrom(ladder, 'm7i.xlarge', 'up', 1, {})).toEqual({
      ok: true,
      instanceType: 'm7i.2xlarge',
      rung: 2,
    });
    expect(stepFrom(ladder, 'm7i.xlarge', 'down', 1, {})).toEqual({
      ok: true,
      instanceType: 'm7i.large',
      rung: 0,
    });
  });

  it('given a jump of 2, should skip a rung, and stop at the ceiling when the jump passes it', () => {
    expect(stepFrom(ladder, 'm7i.large', 'up', 2, {})).toMatchObject({ instanceType: 'm7i.2xlarge' });
    expect(stepFrom(ladder, 'm7i.xlarge', 'up', 2, { ceiling: 'm7i.4xlarge' })).toEqual({
      ok: true,
      instanceType: 'm7i.4xlarge',
      rung: 3,
    });
    expect(stepFrom(ladder, 'm7i.2xlarge', 'up', 2, { ceiling: 'm7i.4xlarge' })).toEqual({
      ok: true,
      instanceType: 'm7i.4xlarge',
      rung: 3,
      clamped: 'ceiling',
    });
    expect(stepFrom(ladder, 'm7i.24xlarge', 'up', 2, {})).toMatchObject({
      instanceType: 'm7i.48xlarge',
      clamped: 'top',
    });
  });

  it('given the top or the bottom rung, should refuse to go further', () => {
    expect(stepFrom(ladder, 'm7i.48xlarge', 'up', 1, {})).toMatchObject({ ok: false, reason: 'top' });
    expect(stepFrom(ladder, 'm7i.large', 'down', 1, {})).toMatchObject({ ok: false, reason: 'bottom' });
  });

  it('given a floor and a ceiling, should not cross them', () => {
    expect(stepFrom(ladder, 'm7i.xlarge', 'down', 1, { floor: 'm7i.xlarge' })).toEqual({
      ok: false,
      reason: 'floor',
      message: 'already at the floor (m7i.xlarge)',
    });
    expect(stepFrom(ladder, 'm7i.2xlarge', 'up', 1, { ceiling: 'm7i.2xlarge' })).toMatchObject({
      ok: false,
      reason: 'ceiling',
    });
    expect(stepFrom(ladder, 'm7i.4xlarge', 'down', 3, { floor: 'm7i.xlarge' })).toMatchObject({
      instanceType: 'm7i.xlarge',
      clamped: 'floor',
    });
    expect(
      stepFrom(ladder, 'm7i.xlarge', 'up', 1, { floor: 'm7i.4xlarge', ceiling: 'm7i.2xlarge' }),
    ).toMatchObject({
      ok: false,
      reason: 'bounds',
    });
  });

  it('given a current type off the ladder, should place it by its vCPUs and memory', () => {
    // m6i.xlarge (previous generation) has m7i.xlarge's 4 vCPUs and 16 GiB: a move there changes nothing.
    expect(stepFrom(ladder, 'm6i.xlarge', 'up', 1, {})).toMatchObject({ instanceType: 'm7i.2xlarge' });
    expect(stepFrom(ladder, 'm6i.xlarge', 'down', 1, {})).toMatchObject({ instanceType: 'm7i.large' });
    // c7i.xlarge (4 vCPUs, 8 GiB) lies between m7i.large (2, 8 GiB) and m7i.xlarge (4, 16 GiB).
    expect(stepFrom(ladder, 'c7i.xlarge', 'up', 1, {})).toMatchObject({ instanceType: 'm7i.xlarge' });
    expect(stepFrom(ladder, 'c7i.xlarge', 'down', 1, {})).toMatchObject({ instanceType: 'm7i.large' });
    // r7i.48xlarge (192 vCPUs, 1.5 TiB) is above the top rung (192 vCPUs, 768 GiB).
    expect(stepFrom(ladder, 'r7i.48xlarge', 'up', 1, {})).toMatchObject({ ok: false, reason: 'top' });
    expect(stepFrom(ladder, 'r7i.48xlarge', 'down', 1, {})).toMatchObject({ instanceType: 'm7i.48xlarge' });
  });

  it('given a floor off the ladder, should bound by its size', () => {
    // m5.xlarge (previous generation, 4 vCPUs, 16 GiB) bounds at m7i.xlarge.
    expect(stepFrom(ladder, 'm7i.2xlarge', 'down', 1, { floor: 'm5.xlarge' })).toMatchObject({
      instanceType: 'm7i.xlarge',
    });
    expect(stepFrom(ladder, 'm7i.xlarge', 'down', 1, { floor: 'm5.xlarge' })).toMatchObject({
      reason: 'floor',
    });
    // c7i.2xlarge (8 vCPUs, 16 GiB) lies between m7i.xlarge and m7i.2xlarge: m7i.2xlarge is the lowest allowed.
    expect(stepFrom(ladder, 'm7i.2xlarge', 'down', 1, { floor: 'c7i.2xlarge' })).toMatchObject({
      reason: 'floor',
    });
  });

  it('given a type the region does not know, should say which one', () => {
    expect(stepFrom(ladder, 'm9.huge', 'up', 1, {})).toEqual({
      ok: false,
      reason: 'unknown-type',
      message: 'current m9.huge is not an instance type of the region',
    });
    expect(stepFrom(ladder, 'm7i.xlarge', 'down', 1, { floor: 'm9.tiny' })).toMatchObject({
      reason: 'unknown-type',
      message: 'floor m9.tiny is not an instance type of the region',
    });
  });

  it('should list the candidates nearest first within the bounds', () => {
    expect(candidatesFrom(ladder, 'm7i.xlarge', 'up', { ceiling: 'm7i.8xlarge' })).toEqual([
      'm7i.2xlarge',
      'm7i.4xlarge',
      'm7i.8xlarge',
    ]);
    expect(candidatesFrom(ladder, 'm7i.2xlarge', 'down', {})).toEqual(['m7i.xlarge', 'm7i.large']);
    expect(candidatesFrom(ladder, 'm7i.xlarge', 'down', { floor: 'm7i.xlarge' })).toEqual([]);
    expect(candidatesFrom(ladder, 'm9.huge', 'up', {})).toEqual([]);
  });
});
