/**
 * The worker side of `runScenarioInWorker` (scenario-worker.ts): runs the scenario it is given and posts
 * its progress and its run back. A scenario and a run are plain data, so they cross the thread boundary
 * as structured clones.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runScenario } from './run-scenario';
import type { Scenario } from './scenario';
import type { ScenarioWorkerMessage, ScenarioWorkerRequest } from './scenario-worker';

const port = parentPort;
if (!port) throw new Error('scenario-worker-entry.ts runs only as a worker thread (see scenario-worker.ts)');

const request = workerData as ScenarioWorkerRequest;
const post = (message: ScenarioWorkerMessage) => port.postMessage(message);

runScenario(request.scenario as Scenario, {
  ...(request.durationMs !== undefined ? { durationMs: request.durationMs } : {}),
  ...(request.state !== undefined ? { state: request.state } : {}),
  onProgress: (progress) => post({ kind: 'progress', progress }),
}).then(
  (run) => post({ kind: 'done', run }),
  (error: unknown) =>
    post({
      kind: 'failed',
      message: error instanceof Error ? error.message : String(error),
      ...(error instanceof Error && error.stack ? { stack: error.stack } : {}),
    }),
);
