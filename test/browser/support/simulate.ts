/**
 * A scenario run as `tideplane simulate` runs it (shared/cli/simulate-command.ts): the HPA loop, plus the
 * node-pool, control-plane, VPA and quota loops when the scenario has them, state in DynamoDB on dynalite,
 * and the report rendered with the command's subtitle. Kept in step with that command by hand: the
 * command's wiring lives inside its commander action, which exports nothing a test could call.
 */
import { startLocalDynamo } from '../../../shared/adapters/dynamodb/local';
import { DynamoDbStateStore } from '../../../shared/adapters/dynamodb/state-store';
import { controlPlaneController } from '../../../shared/sim/control-plane/controller';
import { runSimulation, type SimController } from '../../../shared/sim/driver';
import { hpaController } from '../../../shared/sim/hpa-controller';
import { nodePoolController } from '../../../shared/sim/node-pool-controller';
import { quotaController } from '../../../shared/sim/quota-controller';
import { renderReport } from '../../../shared/sim/report';
import type { SimulationResult } from '../../../shared/sim/result';
import type { Scenario } from '../../../shared/sim/scenario';
import { vpaController } from '../../../shared/sim/vpa-controller';
import { createSimWorld } from '../../../shared/sim/world';

export interface SimulatedReport {
  result: SimulationResult;
  /** The report page, as `simulate --report <file>` writes it. */
  html: string;
  /** The loops that ran, in the order the command lists them. */
  controllers: string[];
}

/** Runs `scenario` for `hours` (default: the scenario's whole duration) and renders its report. */
export async function simulateReport(scenario: Scenario, hours?: number): Promise<SimulatedReport> {
  const world = createSimWorld(scenario);
  const dynamo = await startLocalDynamo();
  try {
    const state = new DynamoDbStateStore({
      client: dynamo.client,
      tableName: dynamo.tableName,
      clock: world.clock,
    });
    const controllers: SimController[] = [hpaController(world, { state })];
    if (scenario.nodePools) controllers.push(nodePoolController(world, { state }));
    if (scenario.controlPlane) controllers.push(controlPlaneController(world, { state }));
    if (scenario.vpa) controllers.push(vpaController(world, { state }));
    if (scenario.quotas) controllers.push(quotaController(world, { state }));
    const result = await runSimulation(world, {
      controllers,
      ...(hours ? { durationMs: hours * 3_600_000 } : {}),
    });
    const html = renderReport(result, {
      subtitle: `controllers: tideplane ${controllers.map((c) => c.name).join(' and ')} loops`,
    });
    return { result, html, controllers: controllers.map((c) => c.name) };
  } finally {
    await dynamo.stop();
  }
}
