import { describe, expect, it } from 'vitest';
import { RWLock } from './lock.ts';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('RWLock', () => {
  it('lets readers share, and writers run alone and before later readers', async () => {
    const lock = new RWLock();
    const log: string[] = [];
    let active = 0;
    let maxReaders = 0;
    const reader = (name: string) =>
      lock.read(async () => {
        active++;
        maxReaders = Math.max(maxReaders, active);
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
        active--;
      });
    const writer = (name: string) =>
      lock.write(async () => {
        expect(active).toBe(0);
        log.push(`${name}+`);
        await tick();
        log.push(`${name}-`);
      });
    await Promise.all([reader('r1'), reader('r2'), writer('w1'), reader('r3'), writer('w2')]);
    expect(maxReaders).toBe(2);
    expect(log).toEqual(['r1+', 'r2+', 'r1-', 'r2-', 'w1+', 'w1-', 'r3+', 'r3-', 'w2+', 'w2-']);
  });

  it('releases the lock when a task fails', async () => {
    const lock = new RWLock();
    await expect(lock.write(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.read(() => Promise.resolve(1))).toBe(1);
  });
});
