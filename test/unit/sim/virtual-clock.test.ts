import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../shared/sim/virtual-clock';

describe('VirtualClock', () => {
  it('given a start, should report it and move only when advanced', () => {
    const clock = new VirtualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(500);
    expect(clock.now()).toBe(1_500);
    clock.advanceTo(2_000);
    expect(clock.now()).toBe(2_000);
  });

  it('given a sleeper, should resolve it only once time reaches its deadline', async () => {
    const clock = new VirtualClock(0);
    let woke = false;
    const sleeping = clock.sleep(15_000).then(() => {
      woke = true;
    });
    expect(clock.pendingSleepers()).toBe(1);
    expect(clock.nextWakeAt()).toBe(15_000);
    clock.advance(14_999);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('given several sleepers, runUntil should wake each at its own deadline, in order', async () => {
    const clock = new VirtualClock(0);
    const woken: [string, number][] = [];
    void clock.sleep(30).then(() => woken.push(['b', clock.now()]));
    void clock.sleep(10).then(() => woken.push(['a', clock.now()]));
    void clock.sleep(30).then(() => woken.push(['c', clock.now()]));
    await clock.runUntil(100);
    expect(woken).toEqual([
      ['a', 10],
      ['b', 30],
      ['c', 30],
    ]);
    expect(clock.now()).toBe(100);
  });

  it('given a sleeper that sleeps again, runUntil should wake it again within the range', async () => {
    const clock = new VirtualClock(0);
    const ticks: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(15_000);
        ticks.push(clock.now());
      }
    })();
    await clock.runUntil(60_000);
    expect(ticks).toEqual([15_000, 30_000, 45_000]);
  });

  it('given a zero or negative sleep, should resolve at once', async () => {
    const clock = new VirtualClock(0);
    await clock.sleep(0);
    await clock.sleep(-5);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('should refuse to go back in time', async () => {
    const clock = new VirtualClock(100);
    expect(() => clock.advanceTo(99)).toThrow(/cannot go back/);
    await expect(clock.runUntil(50)).rejects.toThrow(/cannot go back/);
  });

  it('should tell listeners about every sleep call until they unsubscribe', () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    const unsubscribe = clock.onSleep(() => calls++);
    void clock.sleep(10);
    void clock.sleep(20);
    unsubscribe();
    void clock.sleep(30);
    expect(calls).toBe(2);
  });
});
