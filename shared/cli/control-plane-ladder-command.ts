import { EC2Client } from '@aws-sdk/client-ec2';
import { type Command, Option } from 'commander';
import { Ec2Adapter } from '../adapters/aws/ec2';
import { CONTROL_PLANE_DEFAULTS } from '../config/control-plane';
import { loadConfigFile, resolveClusters } from '../config/load';
import { stepTier } from '../controlplane/eks-tier-ladder';
import {
  buildLadder,
  type Ladder,
  type LadderBounds,
  type LadderOptions,
  type LadderStep,
  positionOn,
  stepFrom,
} from '../controlplane/ladder';
import { type Architecture, Ec2Error, type Ec2Port } from '../ports/ec2';
import { EKS_TIERS } from '../ports/eks';
import { loadRecording, RECORDED_REGIONS, RecordedEc2 } from './recorded-ec2';

interface LadderCommandOptions {
  region?: string;
  zones?: string;
  architecture: Architecture;
  current?: string;
  allowBurstable?: boolean;
  families?: string;
  excludeFamilies?: string;
  floor?: string;
  ceiling?: string;
  offline?: boolean;
  verbose?: boolean;
  config?: string;
  cluster?: string;
}

/** What the command prints, after the config and the flags are merged (flags win). */
interface LadderRequest {
  region: string;
  zones: string[];
  architecture: Architecture;
  current?: string | undefined;
  options: LadderOptions;
  bounds: LadderBounds;
  jumpSteps: number;
}

const MIB_PER_GIB = 1024;

class UsageError extends Error {}

const list = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');

const gib = (mib: number) => String(Number((mib / MIB_PER_GIB).toFixed(2)));

/**
 * `tideplane control-plane ladder`: the instance types (or EKS tiers) the control-plane loop would climb,
 * and what one step up or down from the current one picks.
 */
export function registerControlPlaneLadderCommand(program: Command): void {
  const group =
    program.commands.find((command) => command.name() === 'control-plane') ??
    program.command('control-plane').description('The control-plane loop: instance-type or EKS tier swaps');
  group
    .command('ladder')
    .description(
      'Print the ladder of instance types a self-managed control plane may run on (DescribeInstanceTypes and ' +
        'DescribeInstanceTypeOfferings, filtered and sorted by vCPU then memory), or of EKS tiers',
    )
    .option('--region <region>', 'AWS region (default with --config: the cluster’s)')
    .option('--zones <zones>', 'the control plane’s zones, comma-separated; a rung must be offered in all')
    .addOption(
      new Option('--architecture <arch>', 'the control plane’s architecture')
        .choices(['x86_64', 'arm64'])
        .default('x86_64'),
    )
    .option('--current <type>', 'the instance type (or EKS tier) the control plane runs on now')
    .option('--allow-burstable', 'allow burstable (T) types')
    .option('--families <families>', 'only these families, comma-separated, preferred in this order')
    .option('--exclude-families <families>', 'never these families, comma-separated')
    .option('--floor <type>', 'never below this type (or tier)')
    .option('--ceiling <type>', 'never above this type (or tier)')
    .option('--offline', `use the recorded instance types (${RECORDED_REGIONS.join(', ')}), no AWS calls`)
    .option('--verbose', 'also list every excluded type and why')
    .option('--config <file>', 'take the ladder settings from a deployment config (with --cluster)')
    .option('--cluster <name>', 'the cluster of --config')
    .action(async (options: LadderCommandOptions) => {
      try {
        await printLadder(options);
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof Ec2Error)) throw error;
        console.error(error.message);
        process.exitCode = 1;
      }
    });
}

async function printLadder(options: LadderCommandOptions): Promise<void> {
  const fromConfig = options.config === undefined ? undefined : await clusterControlPlane(options);
  if (fromConfig?.eks) {
    printTiers(
      { ...fromConfig.bounds, ...boundsOf(options) },
      options.current,
      fromConfig.jumpSteps,
      fromConfig.name,
    );
    return;
  }
  const region = options.region ?? fromConfig?.region;
  if (!region) throw new UsageError('--region is required (or --config and --cluster)');
  const request: LadderRequest = {
    region,
    zones: [...new Set(list(options.zones) ?? [])],
    architecture: options.architecture,
    current: options.current,
    options: {
      allowBurstable: options.allowBurstable ?? fromConfig?.options.allowBurstable ?? false,
      families: list(options.families) ?? fromConfig?.options.families ?? [],
      excludeFamilies: list(options.excludeFamilies) ?? fromConfig?.options.excludeFamilies ?? [],
    },
    bounds: { ...fromConfig?.bounds, ...boundsOf(options) },
    jumpSteps: fromConfig?.jumpSteps ?? CONTROL_PLANE_DEFAULTS.jumpSteps,
  };

  let ec2: Ec2Port;
  let source: string;
  if (options.offline) {
    const recording = await loadRecording(region).catch((error: Error) => {
      throw new UsageError(error.message);
    });
    ec2 = new RecordedEc2(recording);
    source = `recorded ${recording.recordedAt} (shared/controlplane/fixtures/${region}.json)`;
  } else {
    ec2 = new Ec2Adapter(new EC2Client({ region }));
    source = 'live (DescribeInstanceTypes, DescribeInstanceTypeOfferings)';
  }
  const ladder = await loadLadder(ec2, request).catch((error: unknown) => {
    if (error instanceof Ec2Error && !options.offline) {
      throw new Ec2Error(
        error.reason,
        `${error.message}\n(needs AWS credentials with ec2:DescribeInstanceTypes and ` +
          `ec2:DescribeInstanceTypeOfferings; --offline uses the recorded ${RECORDED_REGIONS.join(', ')} data)`,
      );
    }
    throw error;
  });
  printEc2Ladder(ladder, request, source, options.verbose === true);
}

/** The cluster's `controlPlane` settings from `--config`. */
async function clusterControlPlane(options: LadderCommandOptions) {
  const file = options.config as string;
  if (!options.cluster) throw new UsageError('--config needs --cluster');
  const result = await loadConfigFile(file);
  if (!result.ok) {
    const problems = result.problems.map((problem) => `${file}: ${problem.path}: ${problem.message}`);
    throw new UsageError(problems.join('\n'));
  }
  const resolved = resolveClusters(result.config).find(({ cluster }) => cluster.name === options.cluster);
  if (!resolved) throw new UsageError(`${file}: no cluster named ${options.cluster}`);
  const controlPlane = resolved.cluster.controlPlane;
  if (!controlPlane) throw new UsageError(`${file}: cluster ${options.cluster} has no controlPlane section`);
  const { floor, ceiling, ...ladderOptions } = controlPlane.ladder;
  return {
    name: resolved.cluster.name,
    region: resolved.region,
    eks: controlPlane.eks !== undefined,
    options: ladderOptions,
    bounds: { ...(floor ? { floor } : {}), ...(ceiling ? { ceiling } : {}) },
    jumpSteps: controlPlane.jumpSteps,
  };
}

function boundsOf(options: LadderCommandOptions): LadderBounds {
  return {
    ...(options.floor ? { floor: options.floor } : {}),
    ...(options.ceiling ? { ceiling: options.ceiling } : {}),
  };
}

/**
 * The ladder from the region's current-generation types of the architecture, plus the current type,
 * floor and ceiling whatever they are, so that one off the ladder is still placed by its size.
 */
async function loadLadder(ec2: Ec2Port, request: LadderRequest): Promise<Ladder> {
  const types = await ec2.listInstanceTypes({
    architecture: request.architecture,
    currentGenerationOnly: true,
  });
  const named = [request.current, request.bounds.floor, request.bounds.ceiling].filter(
    (name): name is string => name !== undefined && !types.some((info) => info.instanceType === name),
  );
  if (named.length > 0) types.push(...(await ec2.describeInstanceTypes(named)).values());
  const offerings = await ec2.describeInstanceTypeOfferings(request.zones);
  const offeredSomewhere = new Set([...offerings.values()].flat());
  const empty = request.zones.filter((zone) => !offeredSomewhere.has(zone));
  if (empty.length > 0) {
    throw new UsageError(
      `no instance type is offered in ${empty.join(', ')}: not a zone of ${request.region}?`,
    );
  }
  return buildLadder({
    types,
    offerings,
    zones: request.zones,
    architecture: request.architecture,
    options: request.options,
    current: request.current,
  });
}

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function stepText(step: LadderStep): string {
  if (!step.ok) return `none, ${step.message}`;
  return step.clamped ? `${step.instanceType} (held at the ${step.clamped})` : step.instanceType;
}

function printEc2Ladder(ladder: Ladder, request: LadderRequest, source: string, verbose: boolean): void {
  const { options, bounds, current } = request;
  const filters = [
    request.architecture,
    request.zones.length > 0 ? `zones ${request.zones.join(', ')}` : 'offered in any zone',
    options.families.length > 0 ? `families ${options.families.join(', ')}` : 'all families',
    ...(options.excludeFamilies.length > 0 ? [`excluding ${options.excludeFamilies.join(', ')}`] : []),
    options.allowBurstable ? 'burstable allowed' : 'no burstable',
  ];
  console.log(`control-plane ladder: ${request.region}, ${filters.join(', ')}`);
  console.log(`source: ${source}`);
  if (ladder.steps.length === 0) {
    console.log('no instance type passes the filters');
    if (verbose) printExcluded(ladder);
    process.exitCode = 1;
    return;
  }

  const up = current === undefined ? undefined : stepFrom(ladder, current, 'up', 1, bounds);
  const jump = current === undefined ? undefined : stepFrom(ladder, current, 'up', request.jumpSteps, bounds);
  const down = current === undefined ? undefined : stepFrom(ladder, current, 'down', 1, bounds);
  const marks = new Map<string, string[]>();
  const mark = (type: string | undefined, text: string) => {
    if (type !== undefined) marks.set(type, [...(marks.get(type) ?? []), text]);
  };
  mark(current, 'current');
  mark(bounds.floor, 'floor');
  mark(bounds.ceiling, 'ceiling');
  if (up?.ok) mark(up.instanceType, 'up');
  if (jump?.ok && jump.instanceType !== (up?.ok ? up.instanceType : undefined)) {
    mark(jump.instanceType, `up ${request.jumpSteps}`);
  }
  if (down?.ok) mark(down.instanceType, 'down');

  const rows = ladder.steps.map((rung, index) => [
    String(index + 1),
    rung.instanceType,
    String(rung.vcpus),
    gib(rung.memoryMiB),
    (marks.get(rung.instanceType) ?? []).join(', '),
    ...(verbose ? [rung.sameSize.join(' ')] : []),
  ]);
  const header = ['rung', 'type', 'vCPU', 'memory GiB', '', ...(verbose ? ['same size, not chosen'] : [])];
  for (const line of table(header, rows, new Set([0, 2, 3]))) console.log(line);

  for (const [role, name] of [
    ['current', current],
    ['floor', bounds.floor],
    ['ceiling', bounds.ceiling],
  ] as const) {
    if (name === undefined || ladder.steps.some((rung) => rung.instanceType === name)) continue;
    const excluded = ladder.excluded.find((type) => type.instanceType === name);
    const position = positionOn(ladder, name);
    if (!excluded || !position) {
      console.log(`${role} ${name}: not an instance type of ${request.region}`);
      process.exitCode = 1;
      continue;
    }
    const where =
      'on' in position
        ? `same size as rung ${position.on + 1}`
        : `between rungs ${position.below} and ${position.below + 1}`;
    console.log(
      `${role} ${name} is not on the ladder (${excluded.detail}): ${excluded.vcpus} vCPU, ` +
        `${gib(excluded.memoryMiB)} GiB, ${where}`,
    );
  }
  if (current !== undefined && up && jump && down) {
    console.log(`up from ${current}: ${stepText(up)}`);
    console.log(`up ${request.jumpSteps} from ${current} (load far above the threshold): ${stepText(jump)}`);
    console.log(`down from ${current}: ${stepText(down)}`);
  }
  console.log(
    `${ladder.steps.length} rungs, ${ladder.excluded.length} types left out` +
      (verbose ? '' : ' (--verbose lists them with the reason)'),
  );
  if (verbose) printExcluded(ladder);
}

function printExcluded(ladder: Ladder): void {
  const rows = [...ladder.excluded]
    .sort(
      (a, b) =>
        a.vcpus - b.vcpus || a.memoryMiB - b.memoryMiB || a.instanceType.localeCompare(b.instanceType),
    )
    .map((type) => [type.instanceType, String(type.vcpus), gib(type.memoryMiB), type.reason, type.detail]);
  console.log('left out:');
  for (const line of table(['type', 'vCPU', 'memory GiB', 'reason', ''], rows, new Set([1, 2]))) {
    console.log(`  ${line}`);
  }
}

function printTiers(
  bounds: LadderBounds,
  current: string | undefined,
  jumpSteps: number,
  cluster: string,
): void {
  console.log(`control-plane ladder: EKS Provisioned Control Plane tiers of ${cluster}`);
  const up = current === undefined ? undefined : stepTier(current, 'up', 1, bounds);
  const jump = current === undefined ? undefined : stepTier(current, 'up', jumpSteps, bounds);
  const down = current === undefined ? undefined : stepTier(current, 'down', 1, bounds);
  const rows = EKS_TIERS.map((tier, index) => {
    const marks = [
      tier === current ? 'current' : '',
      tier === bounds.floor ? 'floor' : '',
      tier === bounds.ceiling ? 'ceiling' : '',
      up?.ok && up.tier === tier ? 'up' : '',
      jump?.ok && jump.tier === tier && !(up?.ok && up.tier === tier) ? `up ${jumpSteps}` : '',
      down?.ok && down.tier === tier ? 'down' : '',
    ].filter((text) => text !== '');
    return [String(index + 1), tier, marks.join(', ')];
  });
  for (const line of table(['rung', 'tier', ''], rows, new Set([0]))) console.log(line);
  const text = (step: typeof up) =>
    !step
      ? ''
      : step.ok
        ? step.clamped
          ? `${step.tier} (held at the ${step.clamped})`
          : step.tier
        : `none, ${step.message}`;
  if (current !== undefined) {
    if (up && !up.ok && up.reason === 'unknown-tier') process.exitCode = 1;
    console.log(`up from ${current}: ${text(up)}`);
    console.log(`up ${jumpSteps} from ${current} (load far above the threshold): ${text(jump)}`);
    console.log(`down from ${current}: ${text(down)}`);
  }
}
