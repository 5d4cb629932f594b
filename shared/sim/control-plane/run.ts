/**
 * The control-plane loop's side of a simulation run (`SimulationResult.controlPlane`): the control
 * plane's size, load and latency over the run, every swap with its steps and outcome, the alarms'
 * state changes and what the ticks cost. Plain data, like the rest of the result.
 */

/** One step a swap took (a tick that acted), or its start and end. */
export interface SwapStepRecord {
  time: number;
  /** `start`, the action's kind (`suspend`, `create-version`, `set-size`, `deregister`, `drain`, ...), or `finish`. */
  kind: string;
  detail?: string;
}

export interface SwapRecordOutcome {
  id: string;
  direction: 'up' | 'down';
  from: string;
  to: string;
  reason: string;
  startedAt: number;
  finishedAt?: number;
  /** `done`, `rolled-back`, `failed`; absent while it runs (at the end of the run). */
  outcome?: string;
  failure?: string;
  steps: SwapStepRecord[];
  /** EC2: API servers healthy behind the load balancer when it started, and the fewest at any moment until it ended. */
  healthyAtStart?: number;
  minHealthy?: number;
}

export interface ControlPlaneRun {
  kind: 'ec2' | 'eks';
  intervalMs: number;
  ticks: number;
  /** Ticks that threw (a crashed Lambda). */
  errors: number;
  /** The type (or tier) at the start and at the end. */
  startSize: string;
  endSize: string;
  /** The load alarms' thresholds (percent). */
  thresholds: { highPercent: number; lowPercent: number };
  /** At the sample instants of `series.times`. */
  series: {
    nodes: number[];
    pods: number[];
    /** EC2: mean CPU of the instances in service; EKS: seat utilization; percent. */
    loadPercent: (number | null)[];
    latencySeconds: number[];
    /** The latency the starting control plane would have had (no swaps). */
    baselineLatencySeconds: number[];
    healthy: number[];
    /** EC2: instances in service per type; EKS: 1 for the tier in force. */
    sizes: Record<string, number[]>;
  };
  swaps: SwapRecordOutcome[];
  alarms: { time: number; name: string; from: string; to: string; value?: number }[];
  latency: {
    thresholdSeconds: number;
    /** Time the API latency was above the threshold, minutes (exact). */
    minutesAbove: number;
    peakSeconds: number;
    /** The same for the starting control plane without swaps, from the samples. */
    baselineMinutesAbove: number;
  };
  /** Port calls (AWS, Kubernetes, state store) per tick: idle ticks, and ticks while a swap ran. */
  calls: { idle: TickCost; swapping: TickCost };
}

export interface TickCost {
  ticks: number;
  meanCalls: number;
  maxCalls: number;
}
