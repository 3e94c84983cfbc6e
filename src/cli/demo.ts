/** `sluice demo` (also `npm run demo`): the options; the demo itself is src/demo/demo.ts. */
import { Command } from 'commander';
import { defaultDemoDir, defaultDemoWorkDir, runDemo } from '../demo/demo.ts';
import { consoleProgress } from '../util/progress.ts';

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'run the GitOps loop on the local dev cluster with seven sample Applications (plain YAML, Kustomize dev and prod overlays, Helm, a web app whose pods really run, a canary Rollout whose analysis asks Prometheus, and a CI Pipeline), then commit a bad version of the canary (aborted by its analysis) and a good one (promoted), and run the CI pipeline once; Ctrl-C stops the controller, the cluster keeps running',
    )
    .option('--cluster-name <name>', 'dev cluster to use (started if needed)', 'sluice')
    .option('--dir <path>', 'where the sample Git repository lives', defaultDemoDir())
    .option(
      '--work-dir <path>',
      "where the demo's controller keeps Git mirrors and the pipeline run store (runs.db)",
      defaultDemoWorkDir(),
    )
    .option('--app-namespace <ns>', 'namespace of the Applications', 'sluice-system')
    .option(
      '--exit',
      'stop once every app is Synced and Healthy and the canary walk-through is done (for scripts)',
    )
    .option('--timeout <seconds>', 'give up if the apps have not converged by then', '180')
    .addHelpText('after', '\nExamples:\n  npm run demo\n  sluice demo --exit --timeout 300')
    .action(
      async (o: {
        clusterName: string;
        dir: string;
        workDir: string;
        appNamespace: string;
        exit?: boolean;
        timeout: string;
      }) => {
        await runDemo({
          clusterName: o.clusterName,
          dir: o.dir,
          workDir: o.workDir,
          appNamespace: o.appNamespace,
          exitWhenHealthy: Boolean(o.exit),
          timeoutMs: (Number(o.timeout) || 180) * 1000,
          progress: consoleProgress(),
          print: (line) => process.stdout.write(`${line}\n`),
        });
      },
    );
}
