/**
 * The CDK app: `npx cdk synth -c config=path/to/tideplane.yaml` (cdk.json defaults the path to
 * infra/config/example.yaml). One environment-agnostic stack per account and region of the config; deploy
 * each with that account's credentials: `npx cdk deploy tideplane-<account>-<region> -c config=...`.
 */
import { App } from 'aws-cdk-lib';
import { loadConfigFile } from '../shared/config/load';
import { addTideplaneStacks, InvalidConfigError } from './build-app';

const CONFIG_CONTEXT_KEY = 'config';

const app = new App();
const configPath: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
if (typeof configPath !== 'string' || configPath === '') {
  console.error(`tideplane: set the config file with -c ${CONFIG_CONTEXT_KEY}=path/to/tideplane.yaml`);
  process.exit(1);
}

const loaded = await loadConfigFile(configPath);
if (!loaded.ok) {
  console.error(`tideplane: ${configPath} is not a valid config:`);
  for (const problem of loaded.problems) console.error(`  ${problem.path}: ${problem.message}`);
  process.exit(1);
}

try {
  addTideplaneStacks(app, loaded.config);
} catch (error) {
  if (!(error instanceof InvalidConfigError)) throw error;
  console.error(`tideplane: ${configPath} is not a valid config:`);
  for (const problem of error.problems) console.error(`  ${problem.path}: ${problem.message}`);
  process.exit(1);
}
app.synth();
