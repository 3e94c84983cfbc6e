/** The loop's waits (wait.ts): a change is never lost; at most n at once, in order. */
import { describe, expect, it } from 'vitest';
import { Slots, Wakeup } from './wait.ts';

describe('Wakeup', () => {
  it('a change made while the loop was busy wakes the next wait at once', async () => {
    const w = new Wakeup();
    w.notify();
    const t0 = Date.now();
    await w.wait(5000);
    expect(Date.now() - t0).toBeLessThan(100);
  });

  it('waits for a change, or the time given', async () => {
    const w = new Wakeup();
    setTimeout(() => w.notify(), 20);
    await w.wait();
    const t0 = Date.now();
    await w.wait(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });
});

describe('Slots', () => {
  it('runs at most n at once, first come first served', async () => {
    const slots = new Slots(2);
    let now = 0;
    let most = 0;
    const order: number[] = [];
    const job = (i: number) =>
      slots.use(async () => {
        order.push(i);
        most = Math.max(most, ++now);
        await new Promise((r) => setTimeout(r, 10));
        now--;
      });
    await Promise.all([0, 1, 2, 3, 4].map(job));
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('a job that throws frees its slot', async () => {
    const slots = new Slots(1);
    await expect(slots.use(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.use(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
