/** `sluice dev-cluster`: a real local Kubernetes control plane, built from source, no Docker. */
import { Command, InvalidArgumentError } from 'commander';
import { ensureTools } from '../devcluster/build.ts';
import { down, exportLine, registryLine, status, up } from '../devcluster/cluster.ts';
import { runChecks } from '../devcluster/doctor.ts';
import { pushMissingImages } from '../devcluster/cluster-registry.ts';
import { clusterRegistry } from '../devcluster/images/cluster-registry.ts';
import { ensureImages, IMAGE_NAMES } from '../devcluster/images/index.ts';
import { consoleProgress } from '../util/progress.ts';
import { formatTable, outputOption, printData, type OutputFormat } from './output.ts';

const DEFAULT_NAME = 'sluice';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function realNodeCount(value: string): number {
  if (value !== '0' && value !== '1') throw new InvalidArgumentError('must be 0 or 1');
  return Number(value);
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('must be a port number (1-65535)');
  return n;
}

export function devClusterCommand(): Command {
  const cmd = new Command('dev-cluster')
    .summary('run a real Kubernetes control plane on this machine (no Docker)')
    .description(
      'Builds (once) and runs etcd, kube-apiserver, kube-controller-manager and kube-scheduler ' +
        'on 127.0.0.1, kwok nodes (simulated: pods turn Running without running), one real node ' +
        '(kubelet, containerd, runc, CNI, kube-proxy, CoreDNS in its own network namespace: pods ' +
        'really run) and a local OCI registry with base images built here. Pods and Services use ' +
        '198.18.0.0/15; no traffic leaves the machine. Everything is cached in ~/.cache/sluice ' +
        '(or $SLUICE_CACHE_DIR). The first build takes about 15 minutes on 2 cores; later starts take about 6 seconds.',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  eval "$(sluice dev-cluster up)"     start and point kubectl at it\n  eval "$(sluice dev-cluster env)"    also $SLUICE_REGISTRY, to push images\n  sluice dev-cluster doctor           what the real node needs\n  sluice dev-cluster status -o json\n  sluice dev-cluster down\n\nA pod runs for real on the real node when it says:\n  nodeSelector: {sluice.dev/real-node: "true"}\n  tolerations: [{key: sluice.dev/real-node, operator: Exists}]\nand pulls images as localhost:5000/<repo>:<tag> (the cluster\'s registry).',
    );

  cmd
    .command('up')
    .description(
      'start a dev cluster (building its binaries first if needed); prints `export KUBECONFIG=...` last',
    )
    .option('--name <name>', 'cluster name; several can run side by side', DEFAULT_NAME)
    .option('--nodes <n>', 'number of kwok (simulated) nodes', positiveInt, 3)
    .option(
      '--real-nodes <n>',
      'real nodes (0 or 1): kubelet + containerd running real containers; pods select it with ' +
        'nodeSelector sluice.dev/real-node=true and tolerate the taint sluice.dev/real-node',
      realNodeCount,
      1,
    )
    .option('--api-port <port>', 'kube-apiserver port (default: a free port)', port)
    .addHelpText('after', '\nExample:\n  eval "$(sluice dev-cluster up --name b --nodes 1)"')
    .action(async (opts: { name: string; nodes: number; realNodes: number; apiPort?: number }) => {
      const progress = consoleProgress();
      const result = await up({
        name: opts.name,
        nodes: opts.nodes,
        realNodes: opts.realNodes,
        progress,
        ...(opts.apiPort ? { apiPort: opts.apiPort } : {}),
      });
      if (!result.started)
        progress.step(`cluster "${opts.name}" is already running at ${result.state.server}`);
      process.stdout.write(exportLine(result.state.kubeconfig) + '\n');
    });

  cmd
    .command('down')
    .description('stop every process of a dev cluster and delete its data')
    .option('--name <name>', 'cluster name', DEFAULT_NAME)
    .addHelpText('after', '\nExample:\n  sluice dev-cluster down --name b')
    .action(async (opts: { name: string }) => {
      const r = await down(opts.name);
      if (!r.existed) process.stderr.write(`• no dev cluster "${r.name}" was running\n`);
      else
        process.stderr.write(
          `• stopped cluster "${r.name}"${r.stopped.length > 0 ? `: ${r.stopped.join(', ')}` : ''}\n`,
        );
    });

  cmd
    .command('status')
    .description('what runs, where, and where its logs are')
    .option('--name <name>', 'cluster name', DEFAULT_NAME)
    .addOption(outputOption())
    .addHelpText('after', '\nExample:\n  sluice dev-cluster status -o json')
    .action(async (opts: { name: string; output: OutputFormat }) => {
      const s = await status(opts.name);
      printData(
        opts.output,
        s,
        () =>
          `cluster ${s.name}: ${s.running ? 'running' : 'BROKEN'}, Kubernetes ${s.kubernetesVersion}, ` +
          `${s.realNode ? '1 real node + ' : ''}${s.nodes} kwok nodes\n` +
          `server      ${s.server}\nkubeconfig  ${s.kubeconfig}\n` +
          (s.realNode
            ? `real node   ${s.realNode.name} at ${s.realNode.ip} (pods ${s.realNode.podCidr}, netns ${s.realNode.netns})\n`
            : '') +
          (s.registry ? `registry    ${s.registry} (plain HTTP)\n` : '') +
          '\n' +
          formatTable(
            ['COMPONENT', 'PID', 'STATE', 'LOG'],
            s.components.map((c) => [
              c.name,
              String(c.pid),
              c.running ? 'running' : 'exited',
              c.log,
            ]),
          ),
      );
      if (!s.running) process.exitCode = 1;
    });

  cmd
    .command('env')
    .description(
      'print the `export KUBECONFIG=...` line of a running cluster, and `export SLUICE_REGISTRY=...` (its local registry)',
    )
    .option('--name <name>', 'cluster name', DEFAULT_NAME)
    .addHelpText(
      'after',
      '\nExample:\n  eval "$(sluice dev-cluster env)"\n  buildah push --tls-verify=false my-image docker://$SLUICE_REGISTRY/my-image:v1',
    )
    .action(async (opts: { name: string }) => {
      const s = await status(opts.name);
      process.stdout.write(exportLine(s.kubeconfig) + '\n');
      if (s.registry) process.stdout.write(registryLine(s.registry) + '\n');
    });

  cmd
    .command('doctor')
    .description(
      'check what a real node needs on this machine (root, runc, nft, cgroups, overlayfs, disk...) and say how to fix what is missing',
    )
    .addOption(outputOption())
    .addHelpText(
      'after',
      '\nExit code 1 when a required check fails.\n\nExample:\n  sluice dev-cluster doctor -o json',
    )
    .action(async (opts: { output: OutputFormat }) => {
      const checks = await runChecks();
      printData(opts.output, checks, () =>
        formatTable(
          ['CHECK', 'STATUS', 'FOUND', 'FIX'],
          checks.map((c) => [
            c.name,
            c.ok ? 'ok' : c.required ? 'MISSING' : 'warning',
            c.detail,
            c.ok ? '' : (c.fix ?? ''),
          ]),
        ),
      );
      if (checks.some((c) => c.required && !c.ok)) process.exitCode = 1;
    });

  cmd
    .command('build')
    .description(
      'build and cache the binaries only (etcd, Kubernetes, kwok, helm, kustomize, and the real node: kubelet, kube-proxy, containerd, CNI plugins, CoreDNS, pause)',
    )
    .addHelpText('after', '\nExample:\n  sluice dev-cluster build')
    .action(async () => {
      const paths = await ensureTools(consoleProgress());
      for (const [tool, dir] of Object.entries(paths)) process.stdout.write(`${tool}\t${dir}\n`);
    });

  cmd
    .command('images')
    .description(
      "build the base images the image store lacks (busybox, debian, sample-app, kubectl), push those a running cluster's registry lacks, and print their references",
    )
    .option('--name <name>', 'cluster whose registry to push to, if it is running', DEFAULT_NAME)
    .addOption(outputOption())
    .addHelpText('after', '\nExample:\n  sluice dev-cluster images -o json')
    .action(async (opts: { name: string; output: OutputFormat }) => {
      const r = await ensureImages(consoleProgress());
      const registry = await clusterRegistry(opts.name);
      if (registry !== undefined) {
        for (const ref of await pushMissingImages(registry, r)) {
          process.stderr.write(`• pushed ${ref}\n`);
        }
      }
      printData(
        opts.output,
        { ...r, ...(registry === undefined ? {} : { registry }) },
        () =>
          formatTable(
            ['IMAGE', 'REFERENCE', 'STABLE'],
            IMAGE_NAMES.map((n) => [n, r.images[n], r.stable[n]]),
          ) +
          `\nstore       ${r.storeDir}\n${registry === undefined ? '' : `registry    ${registry}\n`}`,
      );
    });

  return cmd;
}
