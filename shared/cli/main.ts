import { Command } from 'commander';
import { registerControlPlaneLadderCommand } from './control-plane-ladder-command';
import { registerEventsCommand } from './events-command';
import { registerExplainCommand } from './explain-command';
import { registerNetworkCommand } from './network-command';
import { registerQuotasCommand } from './quotas-command';
import { registerSimulateCommand } from './simulate-command';
import { registerValidateCommand } from './validate-command';

/** `tideplane`: validate configs, explain HPA decisions, replay a simulated day. */
export function buildCli(): Command {
  const program = new Command('tideplane')
    .description('Serverless capacity control plane for Kubernetes on AWS')
    .showHelpAfterError();
  registerValidateCommand(program);
  registerExplainCommand(program);
  registerSimulateCommand(program);
  registerEventsCommand(program);
  registerNetworkCommand(program);
  registerControlPlaneLadderCommand(program);
  registerQuotasCommand(program);
  return program;
}

await buildCli().parseAsync(process.argv);
