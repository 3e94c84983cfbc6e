import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectTool, render, RenderError } from './index.ts';
import { rejection, request, TESTDATA } from './testutil.ts';
import type { RenderRequest } from './types.ts';

/** Every file and directory under `dir`: type, size, mtime and (files) a content hash. */
async function snapshot(dir: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const st = await stat(dir);
  out.set(`${prefix || '.'}/`, `dir mtime=${st.mtimeMs}`);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    const rel = `${prefix}${e.name}`;
    if (e.isDirectory()) {
      for (const [k, v] of await snapshot(abs, `${rel}/`)) out.set(k, v);
    } else {
      const s = await stat(abs);
      const hash = createHash('sha256')
        .update(await readFile(abs))
        .digest('hex');
      out.set(rel, `file size=${s.size} mtime=${s.mtimeMs} sha256=${hash}`);
    }
  }
  return out;
}

/** Renders that must all leave the tree as they found it, failures included. */
const RENDERS: Array<[string, RenderRequest]> = [
  ['directory', request('directory/app', { directory: { recurse: true } })],
  ['directory error', request('directory/malformed-yaml')],
  ['kustomize', request('kustomize/overlays/prod')],
  [
    'kustomize overrides',
    request('kustomize/base', {
      kustomize: { images: ['shop:9'], namePrefix: 'a-', commonLabels: { a: 'b' } },
    }),
  ],
  ['kustomize error', request('kustomize/broken', { kustomize: { nameSuffix: '-x' } })],
  [
    'helm values',
    request('helm/web', {
      helm: {
        valueFiles: ['values-prod.yaml'],
        values: 'greeting: hi\n',
        parameters: [{ name: 'replicaCount', value: '2' }],
      },
    }),
  ],
  ['helm dependency error', request('helm/unvendored')],
  ['helm template error', request('helm/bad-template')],
];

describe('render', () => {
  it('lets an explicit source type win over the files found', async () => {
    expect(await detectTool(request('helm/web', { directory: {} }))).toBe('directory');
    expect(await detectTool(request('helm/web', { kustomize: {} }))).toBe('kustomize');
    expect(await detectTool(request('kustomize/base', { helm: {} }))).toBe('helm');
    expect(await detectTool(request('kustomize/base', { helm: {}, kustomize: {} }))).toBe('helm');
    expect(await detectTool(request('kustomize/base', { directory: {} }))).toBe('directory');
  });

  it('detectTool fails with PathNotFound for a missing path', async () => {
    const err = await rejection(detectTool(request('nowhere')));
    expect(err).toBeInstanceOf(RenderError);
    expect(err['code']).toBe('PathNotFound');
    expect(err['exitCode']).toBe(3);
  });

  it('renders a chart as plain files when directory is explicit', async () => {
    const { tool, objects } = await render(
      request('helm/web/crds', { directory: {} }), // a chart's crds/ folder is plain YAML
    );
    expect(tool).toBe('directory');
    expect(objects.map((o) => o.metadata.name)).toEqual(['widgets.example.com']);
  });
});

describe('the checkout is read-only', () => {
  let before = new Map<string, string>();
  let scratch = '';
  let savedTmp: string | undefined;

  beforeAll(async () => {
    before = await snapshot(TESTDATA);
    // Every temporary directory a render makes goes here, so the test can see it is removed.
    scratch = await mkdtemp(join(tmpdir(), 'sluice-render-scratch-'));
    savedTmp = process.env['TMPDIR'];
    process.env['TMPDIR'] = scratch;
  });

  afterAll(async () => {
    if (savedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmp;
    await rm(scratch, { recursive: true, force: true });
  });

  it.each(RENDERS)('%s', async (_name, req) => {
    expect(tmpdir()).toBe(scratch);
    await render(req).catch((err: unknown) => {
      if (!(err instanceof RenderError)) throw err;
    });
    expect(await readdir(scratch)).toEqual([]); // temporary overlays and Helm homes are gone
  });

  it('no file or directory under the root changed', async () => {
    const after = await snapshot(TESTDATA);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [k, v] of before) expect(after.get(k), k).toBe(v);
  });
});

describe('tool failures', () => {
  it('ToolMissing when helm or kustomize is not built, with the command that builds them', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'sluice-empty-cache-'));
    const saved = process.env['SLUICE_CACHE_DIR'];
    process.env['SLUICE_CACHE_DIR'] = empty;
    try {
      for (const path of ['helm/web', 'kustomize/base']) {
        const err = await rejection(render(request(path)));
        expect(err['code']).toBe('ToolMissing');
        expect(err.message).toMatch(/^(helm|kustomize) is not installed in Sluice's tool cache$/);
        expect(err['hint']).toContain('npx sluice dev-cluster build');
      }
      // Plain directories need no tool.
      expect((await render(request('directory/app'))).objects.length).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env['SLUICE_CACHE_DIR'];
      else process.env['SLUICE_CACHE_DIR'] = saved;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('RenderTimeout stops a tool that runs past the deadline', async () => {
    const started = Date.now();
    const err = await rejection(render(request('helm/slow'), { timeoutMs: 500 }));
    expect(err['code']).toBe('RenderTimeout');
    expect(err.message).toBe('helm template helm/slow did not finish in time and was stopped');
    expect(err['hint']).toContain('render timeout');
    expect(err['exitCode']).toBe(4);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('RenderTimeout when the budget is spent before the tool starts', async () => {
    const err = await rejection(render(request('kustomize/base'), { timeoutMs: 0 }));
    expect(err['code']).toBe('RenderTimeout');
    const dir = await rejection(render(request('directory/app'), { timeoutMs: 0 }));
    expect(dir['code']).toBe('RenderTimeout');
  });
});
