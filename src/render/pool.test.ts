import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RenderError } from './errors.ts';
import { render } from './index.ts';
import { RenderLimitError } from './limits.ts';
import { RenderPool } from './pool.ts';
import type { RenderRequest } from './types.ts';

const cm = (name: string, data = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${data}`;

describe('RenderPool', () => {
  let root: string;
  const pool = new RenderPool({ size: 1, heapMb: 48 });
  const req = (path: string, limits?: RenderRequest['source']['limits']): RenderRequest => ({
    root,
    path,
    source: { repoURL: 'file:///x', ...(limits ? { limits } : {}) },
    appName: 'web',
    namespace: 'web',
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-pool-'));
    await mkdir(join(root, 'small'));
    await writeFile(join(root, 'small/a.yaml'), `${cm('a')}---\n${cm('b', 'data: {k: v}\n')}`);
    await mkdir(join(root, 'hungry'));
    // ~8 MiB of one-character items: within the byte limit, but its syntax tree alone needs far
    // more than a 48 MiB heap.
    const items = Array.from({ length: 4 * 1024 * 1024 }, () => '1').join(',');
    await writeFile(join(root, 'hungry/a.yaml'), cm('hungry', `data: {k: [${items}]}\n`));
  });
  afterAll(async () => {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  });

  it('renders in a worker what render() renders in-process', async () => {
    expect(await pool.render(req('small'))).toEqual(await render(req('small')));
  });

  it('brings a limit error back as the same RenderLimitError', async () => {
    const err = await pool.render(req('small', { maxObjects: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderLimitError);
    expect(err).toMatchObject({ limit: 'maxObjects', max: 1, file: 'small/a.yaml' });
    expect((err as RenderLimitError).hint).toContain('spec.source.limits.maxObjects');
  });

  it('turns a render that runs out of memory into RenderOutOfMemory, then renders on', async () => {
    const err = await pool.render(req('hungry')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).code).toBe('RenderOutOfMemory');
    expect((err as RenderError).message).toBe(
      'rendering hungry needed more than 48 MiB of memory and was stopped (the controller and other apps carry on)',
    );
    expect(pool.stats.outOfMemory).toBe(1);
    expect((await pool.render(req('small'))).objects).toHaveLength(2);
  }, 60_000);

  it('queues renders beyond its size and answers each', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => pool.render(req('small'))));
    expect(results.map((r) => r.objects.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('stops idle workers and starts one again for the next render', async () => {
    const quick = new RenderPool({ size: 1, idleMs: 50 });
    try {
      await quick.render(req('small'));
      expect(quick.workers).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(quick.workers).toBe(0);
      expect((await quick.render(req('small'))).objects).toHaveLength(2);
      expect(quick.stats.workersStarted).toBe(2);
    } finally {
      await quick.close();
    }
  });

  it('refuses renders once closed', async () => {
    const closed = new RenderPool({ size: 1 });
    await closed.close();
    await expect(closed.render(req('small'))).rejects.toThrow(/closed/);
  });
});
