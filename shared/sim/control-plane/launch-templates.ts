/**
 * EC2 launch templates in memory, behind the same `LaunchTemplatesPort` the real adapter implements:
 * numbered versions that each name an instance type, `$Latest` and `$Default` resolved as EC2 resolves
 * them, and `CreateLaunchTemplateVersion` idempotent by client token (the same token returns the version
 * it created; the same token with other parameters is refused, as EC2 answers
 * `IdempotentParameterMismatch`). Calls are counted and can be told to fail.
 */
import {
  LaunchTemplateError,
  type LaunchTemplatesPort,
  type LaunchTemplateVersion,
} from '../../ports/launch-templates';
import { ApiCallRecorder, type ApiStats, type ErrorFactory } from '../api-calls';

interface TemplateRecord {
  id: string;
  name: string;
  /** Version number → its instance type (undefined: the version sets none). */
  versions: Map<number, { instanceType: string | undefined; description: string }>;
  defaultVersion: number;
  /** Client token → the version it created, and what it asked for. */
  tokens: Map<string, { version: number; sourceVersion: number; instanceType: string }>;
}

type PortMethod = keyof LaunchTemplatesPort;

/**
 * @example
 * const templates = new SimLaunchTemplates();
 * const id = templates.addTemplate({ name: 'control-plane', instanceType: 'm6i.xlarge' }); // version 1
 * await templates.createVersionWithInstanceType({ launchTemplateId: id, sourceVersion: 1,
 *   instanceType: 'm6i.2xlarge', clientToken: 'swap-1', description: '' }); // { versionNumber: 2, ... }
 */
export class SimLaunchTemplates implements LaunchTemplatesPort {
  private readonly templates = new Map<string, TemplateRecord>();
  private readonly api = new ApiCallRecorder();
  private counter = 0;

  async describeVersion(launchTemplateId: string, version: string): Promise<LaunchTemplateVersion> {
    this.api.call('describeVersion', 'DescribeLaunchTemplateVersions');
    const template = this.template(launchTemplateId);
    const number = this.resolve(template, version);
    const found = template.versions.get(number);
    if (!found) {
      throw new LaunchTemplateError(
        'NotFound',
        `DescribeLaunchTemplateVersions: Could not find launch template version ${version} of ${launchTemplateId}`,
      );
    }
    return {
      launchTemplateId,
      versionNumber: number,
      ...(found.instanceType !== undefined ? { instanceType: found.instanceType } : {}),
    };
  }

  async createVersionWithInstanceType(args: {
    launchTemplateId: string;
    sourceVersion: number;
    instanceType: string;
    clientToken: string;
    description: string;
  }): Promise<LaunchTemplateVersion> {
    this.api.call('createVersionWithInstanceType', 'CreateLaunchTemplateVersion');
    const template = this.template(args.launchTemplateId);
    const earlier = template.tokens.get(args.clientToken);
    if (earlier) {
      if (earlier.sourceVersion !== args.sourceVersion || earlier.instanceType !== args.instanceType) {
        throw new LaunchTemplateError(
          'Invalid',
          `CreateLaunchTemplateVersion: IdempotentParameterMismatch: client token ${args.clientToken} was used with other parameters`,
        );
      }
      return {
        launchTemplateId: template.id,
        versionNumber: earlier.version,
        instanceType: args.instanceType,
      };
    }
    if (!template.versions.has(args.sourceVersion)) {
      throw new LaunchTemplateError(
        'Invalid',
        `CreateLaunchTemplateVersion: source version ${args.sourceVersion} of ${template.id} does not exist`,
      );
    }
    const version = Math.max(...template.versions.keys()) + 1;
    template.versions.set(version, { instanceType: args.instanceType, description: args.description });
    template.tokens.set(args.clientToken, {
      version,
      sourceVersion: args.sourceVersion,
      instanceType: args.instanceType,
    });
    return { launchTemplateId: template.id, versionNumber: version, instanceType: args.instanceType };
  }

  // ---- the world ---------------------------------------------------------------------------------

  /** A template whose version 1 (its default) launches `instanceType`; returns its id. */
  addTemplate(spec: { name: string; instanceType: string }): string {
    const id = `lt-0${(0x1000000000000000n + BigInt(++this.counter)).toString(16).slice(1)}`;
    this.templates.set(id, {
      id,
      name: spec.name,
      versions: new Map([[1, { instanceType: spec.instanceType, description: 'initial' }]]),
      defaultVersion: 1,
      tokens: new Map(),
    });
    return id;
  }

  /** The template's name (for the group's description). */
  nameOf(launchTemplateId: string): string {
    return this.template(launchTemplateId).name;
  }

  /**
   * The instance type a version launches, without counting a call (the simulated Auto Scaling group
   * resolves it when the group is pointed at the version); undefined when the version sets none.
   * Throws `LaunchTemplateError` for an unknown template or version.
   */
  instanceTypeOf(launchTemplateId: string, version: string): string | undefined {
    const template = this.template(launchTemplateId);
    const found = template.versions.get(this.resolve(template, version));
    if (!found) {
      throw new LaunchTemplateError(
        'Invalid',
        `The specified launch template version ${version} of ${launchTemplateId} does not exist`,
      );
    }
    return found.instanceType;
  }

  /** Version numbers of a template, oldest first (for tests and reports). */
  versions(launchTemplateId: string): { version: number; instanceType: string | undefined }[] {
    return [...this.template(launchTemplateId).versions.entries()]
      .sort(([a], [b]) => a - b)
      .map(([version, { instanceType }]) => ({ version, instanceType }));
  }

  stats(): ApiStats {
    return this.api.stats();
  }

  /** The next `times` calls of `method` fail with `error`, after being counted. */
  failNext(method: PortMethod, times = 1, error?: ErrorFactory): void {
    this.api.failNext(method, times, error);
  }

  private template(launchTemplateId: string): TemplateRecord {
    const template = this.templates.get(launchTemplateId);
    if (!template) {
      throw new LaunchTemplateError(
        'NotFound',
        `The specified launch template, with template ID ${launchTemplateId}, does not exist.`,
      );
    }
    return template;
  }

  /** `$Latest` is the highest number, `$Default` the default version; anything else is a number. */
  private resolve(template: TemplateRecord, version: string): number {
    if (version === '$Latest') return Math.max(...template.versions.keys());
    if (version === '$Default') return template.defaultVersion;
    const number = Number(version);
    if (!Number.isInteger(number) || number < 1) {
      throw new LaunchTemplateError('Invalid', `not a launch template version: ${version}`);
    }
    return number;
  }
}
