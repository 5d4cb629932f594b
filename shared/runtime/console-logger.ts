import type { LogAttributes, Logger } from '../ports/logger';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** One JSON line per entry on stderr, for the CLI; entries below `minimum` are dropped. */
export function consoleLogger(minimum: Level = 'info'): Logger {
  const floor = LEVELS.indexOf(minimum);
  const write =
    (level: Level) =>
    (message: string, attributes?: LogAttributes): void => {
      if (LEVELS.indexOf(level) < floor) return;
      process.stderr.write(`${JSON.stringify({ level, message, ...attributes })}\n`);
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
