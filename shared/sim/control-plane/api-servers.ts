/**
 * The API servers on the simulated control-plane instances: each starts `apiStartSeconds` after its
 * instance is in service and from then on answers `/readyz` with 200, behind the same
 * `ApiServerProbePort` the real probe implements (it never throws: an address nobody answers on is
 * `ready: false` with why). Instances that were in service when the world began run a warm API server.
 *
 * Fault knob: `breakType(type)` makes the API servers of that instance type never become ready (a bad
 * AMI for the new generation, a kubelet flag the type rejects), so a swap to it must time out and roll
 * back.
 */
import type { ApiServerProbePort, ProbeResult } from '../../ports/api-server-probe';
import type { Clock } from '../../ports/clock';
import { ApiCallRecorder, type ApiStats } from '../api-calls';
import type { SimInstance } from '../cloud';
import type { SimEc2Instances } from './instances';

/** From an instance in service to its API server passing `/readyz` (etcd reachable, caches synced). */
export const DEFAULT_API_START_SECONDS = 60;

export interface SimApiServersOptions {
  clock: Clock;
  instances: SimEc2Instances;
  /** @default DEFAULT_API_START_SECONDS */
  apiStartSeconds?: number;
}

/**
 * @example
 * const servers = new SimApiServers({ clock, instances });
 * await servers.readyz('10.0.0.14'); // { ready: false, status: 500, detail: '[-]poststarthook/...' } while it starts
 */
export class SimApiServers implements ApiServerProbePort {
  private readonly api = new ApiCallRecorder();
  private readonly clock: Clock;
  private readonly instances: SimEc2Instances;
  private readonly startMs: number;
  private readonly warm = new Set<string>();
  private readonly broken = new Set<string>();

  constructor(options: SimApiServersOptions) {
    this.clock = options.clock;
    this.instances = options.instances;
    this.startMs = (options.apiStartSeconds ?? DEFAULT_API_START_SECONDS) * 1000;
  }

  async readyz(address: string): Promise<ProbeResult> {
    this.api.record('readyz', 'GET /readyz');
    const instance = this.instances.byAddress(address);
    if (!instance) return { ready: false, detail: `dial tcp ${address}:443: connect: no route to host` };
    const upAt = this.upAt(instance);
    if (upAt === undefined || this.clock.now() < upAt) {
      if (instance.state !== 'InService') {
        return { ready: false, detail: `dial tcp ${address}:443: connect: connection refused` };
      }
      return {
        ready: false,
        status: 500,
        detail: '[-]poststarthook/start-apiextensions-informers failed: not finished; readyz check failed',
      };
    }
    return { ready: true, status: 200 };
  }

  /** Marks the instances in service now as running warm API servers (the world's starting point). */
  markWarm(instances: readonly SimInstance[]): void {
    for (const instance of instances) if (instance.state === 'InService') this.warm.add(instance.instanceId);
  }

  /** The API servers of this instance type never become ready from now on. */
  breakType(instanceType: string): void {
    this.broken.add(instanceType);
  }

  /**
   * When the instance's API server is (or will be) ready; undefined when it never will be. Stays the same
   * once the instance terminates (it says when the server came up, not whether it still runs).
   */
  upAt(instance: SimInstance): number | undefined {
    if (this.warm.has(instance.instanceId)) return instance.readyAt;
    if (this.broken.has(instance.instanceType)) return undefined;
    return instance.readyAt + this.startMs;
  }

  stats(): ApiStats {
    return this.api.stats();
  }
}
