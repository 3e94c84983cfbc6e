/** `sluice convert`: output on stdout, findings on stderr, exit 0 / 1 / 2. */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { main } from './main.ts';

let stdout = '';
let stderr = '';
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../convert/testdata/${name}.yaml`, import.meta.url));
const run = (...args: string[]): Promise<number> => main(['node', 'sluice', 'convert', ...args]);

describe('sluice convert', () => {
  it('exits 0 when everything mapped, manifests on stdout', async () => {
    expect(await run('-f', fixture('rollout-canary-nginx'))).toBe(0);
    const kinds = parseAllDocuments(stdout).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(['Service', 'Rollout', 'AnalysisTemplate']);
    expect(stderr).toContain(
      'converted 2 objects (1 Rollout, 1 AnalysisTemplate); everything mapped',
    );
  });

  it('exits 1 and names each object and field it could not map, output still written', async () => {
    expect(await run('-f', fixture('rollout-unsupported'))).toBe(1);
    expect(stdout).toContain('apiVersion: sluice.dev/v1alpha1');
    expect(stderr).toMatch(
      /^Rollout\/payments\n {2}not supported +spec\.strategy\.canary\.steps\[1\]\.experiment: experiment steps/m,
    );
    expect(stderr).toMatch(/invalid +spec\.replicas: must be integer/);
    expect(stderr).toMatch(/unknown field +spec\.strategy\.canary\.scaleDownDelayRevisionLimit/);
    expect(stderr).toContain('7 findings above could not be mapped (exit 1)');
  });

  it('-o json prints a List of several objects', async () => {
    expect(await run('-f', fixture('application-single-source'), '-o', 'json')).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Application',
    });
    stdout = '';
    await run('-f', fixture('rollout-canary-nginx'), '-o', 'json');
    const list = JSON.parse(stdout) as { kind: string; items: unknown[] };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(3);
  });

  it.each([
    [
      'a file that does not exist',
      ['-f', '/nonexistent/rollout.yaml'],
      'cannot read /nonexistent/rollout.yaml',
    ],
    ['no -f', [], "required option '-f, --filename <file>' not specified"],
  ])('exits 2 for %s', async (_name, args, message) => {
    expect(await run(...args)).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });
});
