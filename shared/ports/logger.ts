/**
 * Structured logging as a port, so cores' loops log the same way in Lambda (Powertools), tests and the
 * simulator. Attributes must never carry secrets (tokens, kubeconfigs).
 */
export type LogAttributes = Record<string, unknown>;

export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

/** A logger that drops everything (tests, the simulator's quiet mode). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
