/**
 * `npm run image [-- --registry host:port] [--name <cluster>]`: builds Sluice's own image with
 * buildah (no Docker) and pushes `sluice/sluice:<version>-<hash>` and `sluice/sluice:dev`.
 *
 * Without `--registry` the image goes to the running dev cluster's registry (the `registry`
 * address in its state.json). Progress goes to stderr; the last line of stdout is the pushed
 * reference, e.g. `127.0.0.1:5000/sluice/sluice:0.1.0-0a1b2c3d4e5f`.
 */
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { requireClusterRegistry } from '../src/devcluster/images/cluster-registry.ts';
import { pushSluiceImage } from '../src/devcluster/images/sluice-image.ts';
import { errorMessage, SluiceError } from '../src/errors.ts';
import { consoleProgress } from '../src/util/progress.ts';

const opts = new Command('npm run image --')
  .description("build Sluice's own image with buildah and push it")
  .option('--registry <host:port>', "registry to push to (default: the dev cluster's)")
  .option('--name <cluster>', 'dev cluster whose registry to use', 'sluice')
  .parse(process.argv)
  .opts<{ registry?: string; name: string }>();

try {
  const registry = opts.registry ?? (await requireClusterRegistry(opts.name));
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  const pushed = await pushSluiceImage({ repoRoot, registry, progress: consoleProgress() });
  process.stdout.write(`${pushed.reference}\n`);
} catch (err) {
  process.stderr.write(`error: ${errorMessage(err)}\n`);
  process.exitCode = err instanceof SluiceError ? err.exitCode : 1;
}
