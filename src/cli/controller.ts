/** `sluice controller` and `sluice install-crds`. */
import { Command, InvalidArgumentError } from 'commander';
import { installCrds } from '../api/install.ts';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { GitOpsController as Controller, type ControllerOptions } from '../gitops/controller.ts';
import { ListenError, startServer } from '../server/server.ts';
import { refreshByAnnotation, refreshTriggers } from '../server/standalone.ts';
import type { WebhookSecrets } from '../server/webhook.ts';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { errorMessage, SluiceError } from '../errors.ts';
import { isRecord } from '../kube/types.ts';
import { parseDuration } from '../gitops/duration.ts';
import { createLogger, type Level, type Logger } from '../util/log.ts';
import { defaultStoreUrl, openRunStore, type RunStore } from '../pipelines/store/index.ts';
import { connect } from './context.ts';
import { consoleProgress } from '../util/progress.ts';

interface ControllerFlags {
  kubeconfig?: string;
  namespace: string;
  appNamespace: string[];
  destinationNamespace: string[];
  concurrency: number;
  leaderElection: boolean;
  rollouts: boolean;
  pipelines: boolean;
  dora: boolean;
  notifications: boolean;
  imageAutomation: boolean;
  promotions: boolean;
  triggers: boolean;
  sealedSecrets: boolean;
  policies: boolean;
  admissionListen?: string;
  admissionUrl?: string;
  admissionFailurePolicy: string;
  admissionTimeout: number;
  admissionExemptNamespace: string[];
  admissionNamespace: string[];
  maxConcurrentRuns: number;
  keepPods: number;
  pipelineHelperImage?: string;
  defaultPodTemplate?: Record<string, unknown>;
  databaseUrl?: string;
  leaseDuration: string;
  pollInterval: string;
  logLevel: Level;
  listen: string;
  workDir?: string;
}

/** A count flag: a whole number from `min` up, else a usage error naming the flag's rule. */
const count =
  (min: number) =>
  (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`must be a whole number, ${min} or more`);
    return n;
  };

/** --default-pod-template: a YAML mapping read now, so a bad file is a usage error naming it. */
function podTemplateFile(path: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`${path}: ${errorMessage(err)}`);
  }
  if (!isRecord(doc))
    throw new InvalidArgumentError(`${path}: not a PodTemplate (a YAML mapping of pod fields)`);
  return doc;
}

/** `host:port`, `:port` (all interfaces) or `off`. */
function parseListen(v: string): { host: string; port: number } | undefined {
  if (v === 'off') return undefined;
  const i = v.lastIndexOf(':');
  const host = i > 0 ? v.slice(0, i).replace(/^\[|\]$/g, '') : '0.0.0.0';
  const port = Number(v.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SluiceError('BadFlag', `--listen "${v}" must be host:port, :port or off`, {
      exitCode: 2,
    });
  return { host, port };
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
    .option(
      '--destination-namespace <ns>',
      'deploy into and watch only these namespaces of the local cluster (repeatable; default all: for RBAC limited to them)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--concurrency <n>', 'Applications reconciled at once', count(1), 10)
    .option('--no-leader-election', 'act without holding the Lease (only one controller may run)')
    .option('--no-rollouts', 'do not run the Rollout controller (progressive delivery)')
    .option('--no-pipelines', 'do not run the PipelineRun and TaskRun controllers (CI)')
    .option('--no-notifications', 'do not run the notification controller (Notification resources)')
    .option(
      '--no-dora',
      'do not record deployments for DORA metrics (`sluice dora`, /metrics, GET /api/dora)',
    )
    .option(
      '--no-image-automation',
      'do not run image update automation (ImageRepository, ImagePolicy, ImageUpdateAutomation)',
    )
    .option(
      '--no-promotions',
      'do not run the Promotion controller (images carried dev → staging → prod by Git commits)',
    )
    .option(
      '--no-triggers',
      'do not run the Trigger controller (pushes and polled commits start PipelineRuns)',
    )
    .option(
      '--no-sealed-secrets',
      'do not run the SealedSecret controller (its keys, and GET /v1/cert.pem for `sluice seal`)',
    )
    .option(
      '--no-policies',
      'do not run the policy controller (ClusterPolicy / Policy status, and the GitOps gate refusing revisions that violate an Enforce policy)',
    )
    .option(
      '--admission-listen <addr>',
      'serve the policy admission webhook at host:port (HTTPS, its own CA) and register it with the API server (default: no webhook)',
    )
    .option(
      '--admission-url <url>',
      'the URL the API server calls for the webhook (default https://<--admission-listen>)',
    )
    .option(
      '--admission-failure-policy <Fail|Ignore>',
      'what the API server does when the webhook cannot answer: Fail refuses the request (a policy is never skipped), Ignore admits it',
      'Fail',
    )
    .option('--admission-timeout <seconds>', 'the webhook’s timeoutSeconds (1-30)', count(1), 5)
    .option(
      '--admission-exempt-namespace <ns>',
      'never send this namespace to the webhook (repeatable; kube-system, kube-public, kube-node-lease and --namespace always are)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option(
      '--admission-namespace <ns>',
      'send only this namespace to the webhook (repeatable; default every namespace but the exempt ones): to try policies on a few namespaces first',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option(
      '--max-concurrent-runs <n>',
      'PipelineRuns running at once per namespace; more wait in a FIFO queue (0: no limit)',
      count(0),
      0,
    )
    .option(
      '--keep-pods <n>',
      'finished TaskRun pods kept per namespace for debugging (older ones are deleted once their logs are in the run store)',
      count(0),
      10,
    )
    .option(
      '--database-url <url>',
      'where pipeline records, logs and deployment records are kept: postgres://…, or a SQLite file (default: $SLUICE_DATABASE_URL, else runs.db in --work-dir)',
    )
    .option(
      '--default-pod-template <file>',
      "a YAML PodTemplate (nodeSelector, tolerations, securityContext, env, …) every TaskRun's pod gets unless its own podTemplate sets the field (Tekton's default-pod-template)",
      podTemplateFile,
    )
    .option(
      '--pipeline-helper-image <image>',
      "the small image (sh, wc, base64) that reports a task's results (default: $SLUICE_PIPELINE_HELPER_IMAGE, else the dev cluster's busybox)",
    )
    .option('--lease-duration <duration>', 'how long a silent leader keeps the Lease', '15s')
    .option('--poll-interval <duration>', 'fetch each repository at least this often', '3m')
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option(
      '--listen <addr>',
      'serve /metrics and /api/webhook at host:port (or off)',
      '127.0.0.1:8080',
    )
    .option(
      '--work-dir <dir>',
      'where Git mirrors and the render journal are written (default: $SLUICE_WORK_DIR, else <cache>/controller)',
    )
    .addHelpText(
      'after',
      '\nWebhook secrets come from the environment (never the command line):\n' +
        '  SLUICE_WEBHOOK_GITHUB_SECRET, SLUICE_WEBHOOK_GITLAB_SECRET, SLUICE_WEBHOOK_SECRET (generic HMAC)\n' +
        'A provider without a secret is refused (401).\n' +
        'Writable paths: --work-dir (Git mirrors, render journal) and $TMPDIR (renders); nothing else.\n' +
        'Example:\n  sluice controller --app-namespace team-a --poll-interval 1m',
    )
    .action(runController);
}

/** --no-policies and the --admission-* flags; a bad value is a usage error naming the flag. */
function policyOptions(o: ControllerFlags): Pick<ControllerOptions, 'policies'> {
  if (!o.policies) return { policies: false };
  if (o.admissionFailurePolicy !== 'Fail' && o.admissionFailurePolicy !== 'Ignore')
    throw new SluiceError(
      'BadFlag',
      `--admission-failure-policy "${o.admissionFailurePolicy}" must be Fail or Ignore`,
      { exitCode: 2 },
    );
  if (o.admissionTimeout > 30)
    throw new SluiceError('BadFlag', '--admission-timeout must be 30 seconds or less', {
      exitCode: 2,
    });
  if (o.admissionListen === undefined) return { policies: true };
  const listen = parseListen(o.admissionListen);
  if (!listen)
    throw new SluiceError('BadFlag', '--admission-listen needs host:port (not off)', {
      exitCode: 2,
    });
  return {
    policies: {
      admission: {
        host: listen.host,
        port: listen.port,
        ...(o.admissionUrl ? { url: o.admissionUrl } : {}),
        failurePolicy: o.admissionFailurePolicy,
        timeoutSeconds: o.admissionTimeout,
        exemptNamespaces: o.admissionExemptNamespace,
        ...(o.admissionNamespace.length > 0 ? { onlyNamespaces: o.admissionNamespace } : {}),
      },
    },
  };
}

/** A taken port says how to pick another address, or to serve nothing. */
function withListenHint(err: unknown): unknown {
  if (!(err instanceof ListenError)) return err;
  return new SluiceError('ListenFailed', err.message, {
    cause: err,
    hint: 'choose another address with --listen 127.0.0.1:9090, or serve no metrics/webhooks with --listen off',
  });
}

async function runController(o: ControllerFlags): Promise<void> {
  const log = createLogger(o.logLevel);
  const listen = parseListen(o.listen);
  const policies = policyOptions(o);
  const kube = await connect(o);
  const workDir = o.workDir ?? process.env['SLUICE_WORK_DIR'];
  const store = o.pipelines || o.dora ? await openStore(o, workDir) : undefined;
  const controller = new Controller({
    kube,
    ...(workDir ? { cacheDir: workDir } : {}),
    namespace: o.namespace,
    ...(o.appNamespace.length > 0 ? { appNamespaces: o.appNamespace } : {}),
    ...(o.destinationNamespace.length > 0 ? { destinationNamespaces: o.destinationNamespace } : {}),
    concurrency: o.concurrency,
    rollouts: o.rollouts,
    ...storeUsers(o, store),
    notifications: o.notifications,
    imageAutomation: o.imageAutomation,
    promotions: o.promotions,
    triggers: o.triggers,
    sealedSecrets: o.sealedSecrets,
    ...policies,
    leaderElection: {
      enabled: o.leaderElection,
      leaseDurationMs: parseDuration(o.leaseDuration, 15_000),
      renewMs: Math.max(500, Math.floor(parseDuration(o.leaseDuration, 15_000) / 5)),
    },
    pollIntervalMs: parseDuration(o.pollInterval, 180_000),
    log,
    ...(listen ? { listen } : {}),
    webhookSecrets: webhookSecretsFromEnv(),
  });
  try {
    if (!(await kube.get('v1', 'Namespace', undefined, o.namespace))) {
      await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } });
    }
    await controller.start();
  } catch (err) {
    // Fail fast: nothing started may keep the process running.
    await kube.close();
    await store?.close();
    throw withListenHint(err);
  }
  log.info('controller started', {
    server: kube.client.server,
    namespace: o.namespace,
    leaderElection: o.leaderElection,
  });
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await drain(controller, log, signal);
  await store?.close();
  await kube.close();
  log.info('controller stopped');
}

/** What uses the store: the pipeline controllers and the DORA recorder, unless switched off. */
function storeUsers(
  o: ControllerFlags,
  store: RunStore | undefined,
): Pick<ControllerOptions, 'pipelines' | 'dora'> {
  if (!store) return {};
  return {
    ...(o.pipelines ? { pipelines: pipelineOptions(o, store) } : {}),
    ...(o.dora ? { dora: { store: store.deployments } } : {}),
  };
}

/** The pipeline controllers' settings from the flags. */
function pipelineOptions(
  o: ControllerFlags,
  store: RunStore,
): NonNullable<ControllerOptions['pipelines']> {
  return {
    maxConcurrentRuns: o.maxConcurrentRuns,
    keepPods: o.keepPods,
    store,
    ...(o.pipelineHelperImage ? { helperImage: o.pipelineHelperImage } : {}),
    ...(o.defaultPodTemplate ? { defaultPodTemplate: o.defaultPodTemplate } : {}),
  };
}

/** The run store: --database-url, $SLUICE_DATABASE_URL, else a SQLite file in the work dir. */
function openStore(
  o: ControllerFlags,
  workDir: string | undefined,
): ReturnType<typeof openRunStore> {
  const databaseUrl =
    o.databaseUrl ?? defaultStoreUrl({ ...process.env, SLUICE_WORK_DIR: workDir ?? '' });
  return openRunStore({ databaseUrl, retention: {} });
}

/** Graceful stop: reconciles in flight finish; says every few seconds how many are left. */
async function drain(controller: Controller, log: Logger, signal: string): Promise<void> {
  const started = Date.now();
  const inFlight = (): number => controller.queue.inFlight;
  log.info('shutting down: finishing reconciles in flight', { signal, inFlight: inFlight() });
  const ticker = setInterval(() => {
    log.info('shutting down: still finishing reconciles', {
      inFlight: inFlight(),
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }, 2000);
  try {
    await controller.stop();
  } finally {
    clearInterval(ticker);
  }
}

function webhookSecretsFromEnv(): WebhookSecrets {
  const env = process.env;
  return {
    ...(env['SLUICE_WEBHOOK_GITHUB_SECRET'] ? { github: env['SLUICE_WEBHOOK_GITHUB_SECRET'] } : {}),
    ...(env['SLUICE_WEBHOOK_GITLAB_SECRET'] ? { gitlab: env['SLUICE_WEBHOOK_GITLAB_SECRET'] } : {}),
    ...(env['SLUICE_WEBHOOK_SECRET'] ? { generic: env['SLUICE_WEBHOOK_SECRET'] } : {}),
  };
}

export function serverCommand(): Command {
  return new Command('server')
    .description(
      'serve the webhook receiver and metrics apart from the controller (it refreshes apps through the API)',
    )
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--listen <addr>', 'host:port', '127.0.0.1:8081')
    .option(
      '--app-namespace <ns>',
      'only Applications here (repeatable; default all)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .addHelpText(
      'after',
      '\nWebhook secrets: SLUICE_WEBHOOK_GITHUB_SECRET, SLUICE_WEBHOOK_GITLAB_SECRET, SLUICE_WEBHOOK_SECRET.\n' +
        'Example:\n  SLUICE_WEBHOOK_GITHUB_SECRET=... sluice server --listen :8081',
    )
    .action(
      async (o: {
        kubeconfig?: string;
        listen: string;
        appNamespace: string[];
        logLevel: Level;
      }) => {
        const log = createLogger(o.logLevel);
        const listen = parseListen(o.listen);
        if (!listen)
          throw new SluiceError('BadFlag', '`sluice server` needs --listen host:port', {
            exitCode: 2,
          });
        const kube = await connect(o);
        const registry = new Registry();
        collectDefaultMetrics({ register: registry, prefix: 'sluice_server_' });
        const server = await startServer({
          ...listen,
          metrics: () => registry.metrics(),
          webhookSecrets: webhookSecretsFromEnv(),
          onPush: async (event) => [
            ...(await refreshByAnnotation(kube, event, o.appNamespace)),
            ...(await refreshTriggers(kube, event)),
          ],
          log,
        });
        log.info('serving /api/webhook and /metrics', { url: server.url });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        await server.close();
        await kube.close();
      },
    );
}

export function installCrdsCommand(): Command {
  return new Command('install-crds')
    .description(
      'install or update Sluice’s CustomResourceDefinitions and wait until they are served',
    )
    .option('--kubeconfig <path>', 'kubeconfig file')
    .addHelpText('after', '\nExample:\n  sluice install-crds --kubeconfig ~/.kube/config')
    .action(async (o: { kubeconfig?: string }) => {
      const kube = await connect(o);
      try {
        const names = await installCrds(kube, consoleProgress());
        for (const n of names) process.stdout.write(`customresourcedefinition/${n} established\n`);
      } finally {
        await kube.close();
      }
    });
}
