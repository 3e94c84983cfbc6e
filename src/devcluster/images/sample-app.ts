/**
 * The `sample-app` image: the demos' web server (Go sources in images/sample-app, standard
 * library only) compiled static (`CGO_ENABLED=0`), FROM scratch, the binary as entrypoint,
 * running as nobody (65534), port 8080.
 *
 * The binary is cached by the hash of its sources (`<cache>/images/bin/sample-app-<hash>/`), so
 * tests can run it on the host without building the image.
 */
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile, tail } from '../../util/exec.ts';
import { formatDuration, type Progress } from '../../util/progress.ts';
import { DevClusterError } from '../errors.ts';
import type { ImageConfig } from './buildah.ts';
import { hashInputs, hashTag, treeInputs } from './hash.ts';

/** Bumped when this recipe changes. */
export const SAMPLE_APP_RECIPE = '1';

/** The Go module of the app, in this repository. */
export const SAMPLE_APP_SOURCES = fileURLToPath(
  new URL('../../../images/sample-app', import.meta.url),
);

export const SAMPLE_APP_CONFIG: ImageConfig = {
  entrypoint: ['/sample-app'],
  user: '65534:65534',
  env: { PORT: '8080' },
  ports: [8080],
  labels: { 'org.opencontainers.image.title': 'sample-app (Sluice demos)' },
};

/** The content hash of the app's sources and recipe. */
export async function sampleAppHash(sources = SAMPLE_APP_SOURCES): Promise<string> {
  return hashInputs([['recipe', SAMPLE_APP_RECIPE], ...(await treeInputs(sources))]);
}

export function sampleAppTag(hash: string): string {
  return hashTag('v1', hash);
}

/** Compiles the app once per source hash; resolves with the binary's path. */
export async function sampleAppBinary(
  imagesDir: string,
  progress: Progress,
  sources = SAMPLE_APP_SOURCES,
): Promise<string> {
  const hash = await sampleAppHash(sources);
  const dir = join(imagesDir, 'bin', `sample-app-${hash.slice(0, 12)}`);
  const binary = join(dir, 'sample-app');
  if (
    await access(binary).then(
      () => true,
      () => false,
    )
  )
    return binary;
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  progress.step('compiling sample-app (Go, static), first time ~20 s');
  const started = Date.now();
  const env = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
  const args = ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(partial, 'sample-app'), '.'];
  const r = await execFile('go', args, { cwd: sources, env, timeoutMs: 10 * 60_000 }).catch(
    (cause: unknown) => {
      throw new DevClusterError('GoMissing', 'Go is not installed (no `go` on the PATH)', {
        cause,
        hint: 'the sample-app image is compiled here from images/sample-app; install Go 1.26+',
      });
    },
  );
  if (r.code !== 0) {
    await rm(partial, { recursive: true, force: true });
    throw new DevClusterError('BuildFailed', `compiling sample-app failed\n${tail(r.stderr, 20)}`, {
      hint: `run \`go build ./...\` in ${sources} to see the error`,
    });
  }
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  progress.detail(`sample-app compiled in ${formatDuration(Date.now() - started)}`);
  return binary;
}
