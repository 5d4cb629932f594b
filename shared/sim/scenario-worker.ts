/**
 * A scenario run on a worker thread, so the side-by-side day (tideplane and the baseline) takes the
 * time of one run on a machine with two cores instead of the sum of both: each run is single-threaded
 * (the simulator, the loops and the in-process DynamoDB share one event loop).
 */
import { Worker } from 'node:worker_threads';
import type { SimProgress } from './driver';
import type { RunScenarioOptions, ScenarioRun } from './run-scenario';
import type { Scenario } from './scenario';

export interface ScenarioWorkerRequest {
  scenario: Scenario;
  durationMs?: number;
  state?: RunScenarioOptions['state'];
}

export type ScenarioWorkerMessage =
  | { kind: 'progress'; progress: SimProgress }
  | { kind: 'done'; run: ScenarioRun }
  | { kind: 'failed'; message: string; stack?: string };

/**
 * Runs `runScenario(scenario)` on a worker thread; rejects with the worker's error (its stack kept).
 *
 * @example const [ours, theirs] = await Promise.all([runScenario(a), runScenarioInWorker(b)]);
 */
export function runScenarioInWorker(
  scenario: Scenario,
  options: RunScenarioOptions = {},
): Promise<ScenarioRun> {
  const request: ScenarioWorkerRequest = {
    scenario,
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.state !== undefined ? { state: options.state } : {}),
  };
  // The bootstrap registers tsx in the worker, whatever the parent runs under (see its comment).
  const worker = new Worker(new URL('./scenario-worker-bootstrap.mjs', import.meta.url), {
    workerData: request,
  });
  return new Promise<ScenarioRun>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
      void worker.terminate();
    };
    worker.on('message', (message: ScenarioWorkerMessage) => {
      if (message.kind === 'progress') options.onProgress?.(message.progress);
      else if (message.kind === 'done') settle(() => resolve(message.run));
      else {
        const error = new Error(`scenario ${scenario.name} failed in its worker: ${message.message}`);
        if (message.stack) error.stack = `${error.message}\n--- worker ---\n${message.stack}`;
        settle(() => reject(error));
      }
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) =>
      settle(() =>
        reject(new Error(`scenario ${scenario.name}: its worker exited (code ${code}) without a result`)),
      ),
    );
  });
}
