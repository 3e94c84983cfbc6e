import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TokenBucket, WorkQueue } from './queue.ts';

describe('WorkQueue', () => {
  it('de-duplicates queued keys and merges their flags', async () => {
    const seen: Array<[string, boolean]> = [];
    const q = new WorkQueue<{ refresh?: boolean }>({
      concurrency: 1,
      handler: async (k, f) => (seen.push([k, Boolean(f.refresh)]), {}),
      mergeFlags: (a, b) => ({ refresh: Boolean(a.refresh || b.refresh) }),
    });
    q.add('blocker');
    q.add('a');
    q.add('a', { refresh: true });
    q.add('a');
    await sleep(20);
    expect(seen).toEqual([
      ['blocker', false],
      ['a', true],
    ]);
  });

  it('runs a key again when it was added while running, never concurrently with itself', async () => {
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    const q = new WorkQueue({
      concurrency: 4,
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        runs++;
        await sleep(20);
        running--;
        return {};
      },
    });
    q.add('k');
    await sleep(5);
    q.add('k');
    q.add('k');
    await sleep(80);
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('bounds concurrency across keys', async () => {
    let running = 0;
    let maxRunning = 0;
    const q = new WorkQueue({
      concurrency: 3,
      handler: async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(10);
        running--;
        return {};
      },
    });
    for (let i = 0; i < 20; i++) q.add(`k${i}`);
    await sleep(150);
    expect(maxRunning).toBe(3);
    expect(q.processed).toBe(20);
  });

  it('backs off a failing key exponentially and resets after success', async () => {
    const times: number[] = [];
    const q = new WorkQueue({
      concurrency: 1,
      baseBackoffMs: 20,
      handler: async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('boom');
        return {};
      },
    });
    q.add('k');
    await sleep(400);
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! * 1.3);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]! * 1.3);
  });

  it('requeues after the delay a handler asks for, and stop() waits for work in flight', async () => {
    let runs = 0;
    const q = new WorkQueue({
      concurrency: 1,
      handler: async () => {
        runs++;
        await sleep(30);
        return runs === 1 ? { requeueAfterMs: 10 } : {};
      },
    });
    q.add('k');
    await sleep(90);
    expect(runs).toBe(2);
    q.add('k');
    await sleep(5);
    await q.stop();
    expect(runs).toBe(3);
    q.add('k');
    await sleep(50);
    expect(runs).toBe(3);
  });

  it.each([
    { name: 'a full bucket lends at once', taken: 3, at: 0, wait: 0 },
    { name: 'an empty bucket waits for a token', taken: 5, at: 0, wait: 100 },
    { name: 'tokens come back with time', taken: 5, at: 1000, wait: 0 },
  ])('token bucket: $name', ({ taken, at, wait }) => {
    const b = new TokenBucket(10, 5);
    for (let i = 0; i < taken; i++) b.take(1);
    expect(b.take(1 + at)).toBe(wait);
  });
});
