/** `sluice controller` and `sluice install-crds`. */
import { Command } from 'commander';
import { installCrds } from '../api/install.ts';
import { Controller } from '../controller/controller.ts';
import { parseDuration } from '../gitops/duration.ts';
import { Kube } from '../kube/api.ts';
import { createLogger, type Level } from '../util/log.ts';
import { consoleProgress } from '../util/progress.ts';

interface ControllerFlags {
  kubeconfig?: string;
  namespace: string;
  appNamespace: string[];
  concurrency: string;
  leaderElection: boolean;
  pollInterval: string;
  logLevel: Level;
}

export function controllerCommand(): Command {
  return new Command('controller')
    .description('run the GitOps controller against the current kubeconfig until SIGINT/SIGTERM')
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option(
      '--namespace <ns>',
      'the controller’s namespace: Lease and repository Secrets',
      'sluice-system',
    )
    .option(
      '--app-namespace <ns>',
      'watch Applications only here (repeatable; default all)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--concurrency <n>', 'Applications reconciled at once', '10')
    .option('--no-leader-election', 'act without holding the Lease (only one controller may run)')
    .option('--poll-interval <duration>', 'fetch each repository at least this often', '3m')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .action(async (o: ControllerFlags) => {
      const log = createLogger(o.logLevel);
      const kube = await Kube.connect(o.kubeconfig);
      const controller = new Controller({
        kube,
        namespace: o.namespace,
        ...(o.appNamespace.length > 0 ? { appNamespaces: o.appNamespace } : {}),
        concurrency: Number(o.concurrency) || 10,
        leaderElection: { enabled: o.leaderElection },
        pollIntervalMs: parseDuration(o.pollInterval, 180_000),
        log,
      });
      if (!(await kube.get('v1', 'Namespace', undefined, o.namespace))) {
        await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } });
      }
      await controller.start();
      log.info('controller started', {
        server: kube.client.server,
        namespace: o.namespace,
        leaderElection: o.leaderElection,
      });
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info('shutting down: finishing reconciles in flight', { signal });
          void controller.stop().then(resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await kube.close();
      log.info('controller stopped');
    });
}

export function installCrdsCommand(): Command {
  return new Command('install-crds')
    .description(
      'install or update Sluice’s CustomResourceDefinitions and wait until they are served',
    )
    .option('--kubeconfig <path>', 'kubeconfig file')
    .action(async (o: { kubeconfig?: string }) => {
      const kube = await Kube.connect(o.kubeconfig);
      try {
        const names = await installCrds(kube, consoleProgress());
        for (const n of names) process.stdout.write(`customresourcedefinition/${n} established\n`);
      } finally {
        await kube.close();
      }
    });
}
