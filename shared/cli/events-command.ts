import type { Command } from 'commander';
import { z } from 'zod';
import { controlPlaneRequestSchema } from '../config/control-plane-event';
import { hpaEventSchema } from '../config/hpa-event';
import { nodePoolRequestSchema } from '../config/node-pool-event';
import { quotaEventSchema } from '../config/quota-event';
import { vpaRequestSchema } from '../config/vpa-event';

/** JSON Schemas of the functions' console test events, from the same zod schemas the handlers use. */
export function registerEventsCommand(program: Command): void {
  program
    .command('events')
    .description('Print the JSON Schema of a function’s test event (for the Lambda console)')
    .argument('[function]', 'function name', 'hpa')
    .action((name: string) => {
      const schemas: Record<string, z.ZodType> = {
        hpa: hpaEventSchema,
        'node-pools': nodePoolRequestSchema,
        'control-plane': controlPlaneRequestSchema,
        vpa: vpaRequestSchema,
        quotas: quotaEventSchema,
      };
      const schema = schemas[name];
      if (!schema) {
        console.error(`unknown function "${name}"; known: ${Object.keys(schemas).join(', ')}`);
        process.exitCode = 1;
        return;
      }
      console.log(JSON.stringify(z.toJSONSchema(schema), null, 2));
    });
}
