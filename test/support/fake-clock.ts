import type { Clock } from '../../shared/ports/clock';

/** A clock that only moves when told to; `sleep` advances it at once. */
export class FakeClock implements Clock {
  constructor(private ms: number) {}

  now(): number {
    return this.ms;
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}
