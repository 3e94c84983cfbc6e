/**
 * Builds the dev cluster's binaries from Go modules, once, and caches them.
 *
 * Each tool is built into `<root>/bin/<tool>/<version>.partial-<pid>` and renamed into place
 * only when every binary is there, so an interrupted build never leaves a half cache behind.
 * `go build -v` names each package as it compiles; we count them for progress.
 */
import { createWriteStream } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile, tail } from '../util/exec.ts';
import { formatDuration, type Progress } from '../util/progress.ts';
import { DevClusterError } from './errors.ts';
import { cacheRoot } from './paths.ts';
import { TOOLS, type Tool, type ToolName } from './tools.ts';

export type ToolPaths = Record<ToolName, string>;

/**
 * A tool no dev cluster needs, built only when something asks for it (interoperability tests
 * against the real upstream binaries), cached like the others.
 */
export interface ExtraTool extends Omit<Tool, 'name'> {
  name: 'kubeseal' | 'cosign';
  /** Rough first-build time on a 2-core machine. */
  expected: string;
}

/**
 * kubeseal, the Sealed Secrets CLI. v0.27.1 is the newest the module proxy serves under this
 * path: from v0.40.0 the module declares itself `github.com/bitnami/sealed-secrets`, so
 * `go install github.com/bitnami-labs/...@v0.40.0` fails with "module declares its path as", and
 * the renamed path is not served here.
 */
export const KUBESEAL_VERSION = '0.27.1';
export const KUBESEAL: ExtraTool = {
  name: 'kubeseal',
  version: KUBESEAL_VERSION,
  binaries: ['kubeseal'],
  packages: ['github.com/bitnami-labs/sealed-secrets/cmd/kubeseal'],
  ldflags: [],
  expected: '~2 min',
};

/**
 * cosign, Sigstore's signing CLI, for the signed-images interoperability test. v2.6.5 still
 * writes signatures in the legacy `sha256-<digest>.sig` tag layout by default (v3 moves to OCI
 * 1.1 referrers and bundles); its module path carries the `/v2` major suffix.
 */
export const COSIGN_VERSION = '2.6.5';
export const COSIGN: ExtraTool = {
  name: 'cosign',
  version: COSIGN_VERSION,
  binaries: ['cosign'],
  packages: ['github.com/sigstore/cosign/v2/cmd/cosign'],
  ldflags: [],
  expected: '~8 min',
};

type AnyTool = Tool | ExtraTool;

/** Rough first-build times on a 2-core machine, so people know what they wait for. */
const EXPECTED: Record<ToolName, string> = {
  kubernetes: '~5 min',
  etcd: '~1 min',
  kwok: '~1 min',
  helm: '~2 min',
  kustomize: '~30 s',
  'kubernetes-node': '~3 min',
  containerd: '~2 min',
  'cni-plugins': '~30 s',
  coredns: '~2 min',
  pause: '~5 s',
  'gateway-api': '~5 s',
};

export function toolBinDir(tool: AnyTool, root = cacheRoot()): string {
  return join(root, 'bin', tool.name, `v${tool.version}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function isBuilt(tool: AnyTool, root = cacheRoot()): Promise<boolean> {
  const dir = toolBinDir(tool, root);
  for (const b of tool.binaries) if (!(await exists(join(dir, b)))) return false;
  return true;
}

async function requireGo(): Promise<string> {
  try {
    const r = await execFile('go', ['version'], { timeoutMs: 30_000 });
    if (r.code === 0) return r.stdout.trim();
  } catch {
    // fall through to the error below
  }
  throw new DevClusterError('GoMissing', 'Go is not installed (no `go` on the PATH)', {
    hint: 'the dev cluster builds Kubernetes from source once; install Go 1.26+ (https://go.dev/doc/install or `apt-get install golang`) and run again',
  });
}

function buildArgs(tool: AnyTool, outDir: string): { args: string[] } {
  const ldflags = ['-s', '-w', ...tool.ldflags].join(' ');
  if (tool.localSource !== undefined) {
    const out = join(outDir, tool.binaries[0] ?? tool.name);
    return { args: ['build', '-v', '-trimpath', '-ldflags', ldflags, '-o', out, '.'] };
  }
  if (tool.wrapperGoMod !== undefined) {
    return {
      args: [
        'build',
        '-v',
        '-mod=mod',
        '-trimpath',
        '-ldflags',
        ldflags,
        '-o',
        // One package: name the binary (Go would call go.etcd.io/etcd/server/v3 "server").
        tool.packages.length === 1 ? join(outDir, tool.binaries[0] ?? tool.name) : `${outDir}/`,
        ...tool.packages,
      ],
    };
  }
  return {
    args: [
      'install',
      '-v',
      '-trimpath',
      '-ldflags',
      ldflags,
      ...tool.packages.map((p) => `${p}@v${tool.version}`),
    ],
  };
}

/** This repository's root (src/devcluster/ is two levels down). */
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

function buildDir(tool: AnyTool, root: string, workDir: string): string {
  if (tool.localSource !== undefined) return join(REPO_ROOT, tool.localSource);
  return tool.wrapperGoMod === undefined ? root : workDir;
}

/** Builds one tool; resolves when its binaries are in the cache. */
export async function buildTool(
  tool: AnyTool,
  progress: Progress,
  root = cacheRoot(),
): Promise<void> {
  const workDir = join(root, 'build', `${tool.name}-v${tool.version}`);
  const logPath = join(workDir, 'build.log');
  const finalDir = toolBinDir(tool, root);
  const partialDir = `${finalDir}.partial-${process.pid}`;
  await mkdir(workDir, { recursive: true });
  await rm(partialDir, { recursive: true, force: true });
  await mkdir(partialDir, { recursive: true });
  if (tool.wrapperGoMod !== undefined) {
    // `go build -mod=mod` adds the dependencies this go.mod leaves out; go.sum is kept between builds.
    await writeFile(join(workDir, 'go.mod'), tool.wrapperGoMod);
  }

  progress.step(
    `building ${tool.name} v${tool.version} (${tool.binaries.join(', ')}), first time ${'expected' in tool ? tool.expected : EXPECTED[tool.name]}`,
  );
  const log = createWriteStream(logPath);
  const started = Date.now();
  let packages = 0;
  let lastReport = started;
  const { args } = buildArgs(tool, partialDir);
  const env: NodeJS.ProcessEnv = { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' };
  if (tool.wrapperGoMod === undefined && tool.localSource === undefined) env['GOBIN'] = partialDir;
  let result;
  try {
    // A tool of assets only (the Gateway API CRDs) has nothing to compile: run `go version`.
    result = await execFile('go', tool.packages.length > 0 ? args : ['version'], {
      cwd: buildDir(tool, root, workDir),
      env,
      onOutput: (chunk) => {
        log.write(chunk);
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line.length > 0 && !line.startsWith('go: ')) packages++;
        }
        const now = Date.now();
        if (now - lastReport >= 30_000) {
          lastReport = now;
          progress.detail(
            `${tool.name}: compiled ${packages} packages, ${formatDuration(now - started)}`,
          );
        }
      },
    });
  } finally {
    await new Promise<void>((r) => log.end(r));
  }
  if (result.code === 0 && tool.assets) {
    await copyAssets(tool.assets, partialDir, env, logPath);
  }
  const missing = [];
  for (const b of tool.binaries) if (!(await exists(join(partialDir, b)))) missing.push(b);
  if (result.code !== 0 || missing.length > 0) {
    await rm(partialDir, { recursive: true, force: true });
    const text = await readFile(logPath, 'utf8').catch(() => result.stderr);
    throw new DevClusterError(
      'BuildFailed',
      `building ${tool.name} v${tool.version} failed (go ${args[0]} exited ${result.code ?? result.signal}` +
        `${missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''})\n` +
        `--- last lines of ${logPath} ---\n${tail(text, 25)}`,
      {
        logPath,
        hint: `read the full log at ${logPath}; a network error means the Go module proxy was unreachable, so retry`,
      },
    );
  }
  await rm(finalDir, { recursive: true, force: true });
  await rename(partialDir, finalDir);
  progress.detail(`${tool.name} built in ${formatDuration(Date.now() - started)}`);
}

/** Concatenates the YAML files of some directories of a Go module into one file. */
async function copyAssets(
  assets: NonNullable<Tool['assets']>,
  outDir: string,
  env: NodeJS.ProcessEnv,
  logPath: string,
): Promise<void> {
  const r = await execFile('go', ['mod', 'download', '-json', assets.module], { env });
  if (r.code !== 0) {
    throw new DevClusterError(
      'BuildFailed',
      `could not download ${assets.module}: ${tail(r.stderr, 5)}`,
      { logPath },
    );
  }
  const { Dir } = JSON.parse(r.stdout) as { Dir: string };
  const docs: string[] = [];
  for (const d of assets.dirs) {
    const files = (await readdir(join(Dir, d)))
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
      .sort();
    for (const f of files)
      docs.push(
        `# from ${assets.module}/${d}/${f}\n${(await readFile(join(Dir, d, f), 'utf8')).trim()}\n`,
      );
  }
  await writeFile(join(outDir, assets.file), docs.join('---\n'));
}

/** Makes sure every tool is built; returns the directory of each. */
export async function ensureTools(progress: Progress, root = cacheRoot()): Promise<ToolPaths> {
  const paths: Partial<ToolPaths> = {};
  let goChecked = false;
  for (const tool of TOOLS) {
    if (!(await isBuilt(tool, root))) {
      if (!goChecked) {
        progress.step(`using ${await requireGo()}`);
        goChecked = true;
      }
      await buildTool(tool, progress, root);
    }
    paths[tool.name] = toolBinDir(tool, root);
  }
  return paths as ToolPaths;
}

/** Builds an extra tool once (Go needed only then); answers the path of its first binary. */
export async function ensureExtraTool(
  tool: ExtraTool,
  progress: Progress,
  root = cacheRoot(),
): Promise<string> {
  if (!(await isBuilt(tool, root))) {
    progress.step(`using ${await requireGo()}`);
    await buildTool(tool, progress, root);
  }
  return join(toolBinDir(tool, root), tool.binaries[0] ?? tool.name);
}

/** The path of one binary ("kubectl", "helm"...) in the cache, or undefined if not built. */
export async function binaryPath(binary: string, root = cacheRoot()): Promise<string | undefined> {
  const tool = TOOLS.find((t) => t.binaries.includes(binary));
  if (!tool) return undefined;
  const p = join(toolBinDir(tool, root), binary);
  return (await exists(p)) ? p : undefined;
}
