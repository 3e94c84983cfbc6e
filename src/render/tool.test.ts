/** Which helm and kustomize binaries a render runs: the named ones first, else the cached ones. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binaryPath } from '../devcluster/build.ts';
import { RenderError } from './errors.ts';
import { requireBinary } from './tool.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-tool-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('requireBinary', () => {
  it('uses the binary $SLUICE_HELM / $SLUICE_KUSTOMIZE names (the container image sets them)', async () => {
    const helm = join(dir, 'helm');
    await writeFile(helm, '#!/bin/sh\n');
    await chmod(helm, 0o755);
    expect(await requireBinary('helm', { SLUICE_HELM: helm })).toBe(helm);
  });

  it('ToolMissing naming the variable when it points at nothing executable', async () => {
    const err = await requireBinary('kustomize', { SLUICE_KUSTOMIZE: join(dir, 'nope') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RenderError);
    expect((err as RenderError).code).toBe('ToolMissing');
    expect((err as RenderError).message).toBe(
      `kustomize is not at ${join(dir, 'nope')} (SLUICE_KUSTOMIZE)`,
    );
  });

  it('without the variable, the binary of the tool cache', async () => {
    expect(await requireBinary('helm', {})).toBe(await binaryPath('helm'));
  });
});
