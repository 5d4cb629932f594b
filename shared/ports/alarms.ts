/**
 * CloudWatch alarms, as the control-plane loop sees them: the state of the alarms that say the control
 * plane is overloaded or idle, re-read every tick so that no decision depends on one alarm delivery.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmStatus {
  name: string;
  state: AlarmState;
  /** Epoch ms of the last state change. */
  stateUpdatedAt: number;
  threshold?: number;
  /**
   * The datapoints that made the last state change (`StateReasonData.recentDatapoints`), newest last;
   * empty when CloudWatch gave none.
   */
  recentDatapoints: number[];
}

export type AlarmsErrorReason = 'Throttled' | 'Forbidden' | 'Timeout' | 'Unavailable';

export class AlarmsError extends Error {
  override readonly name = 'AlarmsError';
  constructor(
    readonly reason: AlarmsErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AlarmsPort {
  /** Metric alarms by name (`DescribeAlarms`); unknown names are absent. Throws `AlarmsError`. */
  describeAlarms(names: string[]): Promise<AlarmStatus[]>;
}
