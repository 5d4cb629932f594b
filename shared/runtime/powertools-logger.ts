import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, Logger } from '../ports/logger';

/** The Logger port on Powertools: JSON lines in CloudWatch Logs with the Lambda context attached. */
export function powertoolsLogger(serviceName: string): Logger & { raw: PowertoolsLogger } {
  const raw = new PowertoolsLogger({ serviceName });
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, attributes?: LogAttributes): void => {
      if (attributes) raw[level](message, attributes);
      else raw[level](message);
    };
  return { raw, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
