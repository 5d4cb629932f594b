import type { LogAttributes, Logger } from '../../../shared/ports/logger';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes?: LogAttributes;
}

/**
 * Keeps every log line, so a test can assert that a tick swallowed no failure: the HPA loop reports a
 * failed status write or Event only as a warning and goes on.
 */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  debug(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'debug', message, attributes });
  }

  info(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'info', message, attributes });
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'warn', message, attributes });
  }

  error(message: string, attributes?: LogAttributes): void {
    this.entries.push({ level: 'error', message, attributes });
  }

  /** Warnings and errors. */
  problems(): LogEntry[] {
    return this.entries.filter((e) => e.level === 'warn' || e.level === 'error');
  }
}
