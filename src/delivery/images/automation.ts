/**
 * The ImageUpdateAutomation controller: every `spec.interval` (and when a policy of its namespace
 * selects a new image, or on request), it checks the branch out, brings every setter marker
 * under `spec.update.path` to its policy's image, and — when that changed anything — commits
 * with the author and message template of `spec.git.commit` and pushes (src/delivery/gitwrite:
 * never forced; a branch that moved is fetched again and the markers set again). Status as
 * Flux: lastAutomationRunTime, lastPushCommit, lastPushTime, observedPolicies,
 * observedSourceRevision; a failure's reason comes from the error's code.
 */
import {
  IMAGE_UPDATE_AUTOMATION_KIND,
  type ImagePolicy,
  type ImageUpdateAutomation,
  type ImageUpdateAutomationStatus,
} from '../../api/image.ts';
import { API_VERSION } from '../../api/application.ts';
import { errorMessage, SluiceError } from '../../errors.ts';
import { parseDuration } from '../../gitops/duration.ts';
import type { Kube } from '../../kube/api.ts';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller.ts';
import { recordEvent } from '../../runtime/events.ts';
import { StatusPatcher } from '../../runtime/patcher.ts';
import { SourceError } from '../../source/index.ts';
import type { Logger } from '../../util/log.ts';
import {
  GitWriteError,
  renderTemplate,
  settersEdit,
  TemplateError,
  writeToGit,
  type GitWriteErrorCode,
  type GitWriteOptions,
  type GitWriteResult,
} from '../gitwrite/index.ts';
import type { PolicyImage } from '../setimage/index.ts';
import { conditions, isDue, readyCondition, requestedAt, type Readiness } from './conditions.ts';
import { automationTemplateData, DEFAULT_AUTOMATION_MESSAGE } from './message.ts';
import { matchesSelector, SelectorError } from './selector.ts';
import { resolveTarget, SourceConfigError, type GitTarget } from './source.ts';

type Flags = Record<string, never>;
type Observed = NonNullable<ImageUpdateAutomationStatus['observedPolicies']>;

const REASONS: Record<GitWriteErrorCode, Readiness['reason']> = {
  AuthFailed: 'AccessDenied',
  RepoUnreachable: 'GitOperationFailed',
  BranchNotFound: 'InvalidSourceConfiguration',
  EditFailed: 'UpdateFailed',
  CommitFailed: 'GitOperationFailed',
  PushRejected: 'GitOperationFailed',
  PushConflict: 'GitOperationFailed',
  GitMissing: 'GitOperationFailed',
};

/** The ready policies of `auto`'s namespace it selects: `namespace:name` -> image. */
export function selectedPolicies(
  auto: ImageUpdateAutomation,
  policies: readonly ImagePolicy[],
): { images: Map<string, PolicyImage>; observed: Observed } {
  const images = new Map<string, PolicyImage>();
  const observed: Observed = {};
  const ns = auto.metadata.namespace ?? '';
  for (const p of policies) {
    const ref = p.status?.latestRef;
    if (p.metadata.namespace !== ns || !ref) continue;
    if (!matchesSelector(auto.spec.policySelector, p.metadata.labels ?? {})) continue;
    const name = p.metadata.name ?? '';
    images.set(`${ns}:${name}`, {
      image: ref.image,
      tag: ref.tag,
      ...(ref.digest ? { digest: ref.digest } : {}),
    });
    observed[name] = {
      name: ref.image,
      tag: ref.tag,
      ...(ref.digest ? { digest: ref.digest } : {}),
    };
  }
  return { images, observed };
}

export interface AutomationControllerOptions {
  kube: Kube;
  log: Logger;
  /** The policies' cache (the ImagePolicy controller's). */
  policies: () => ImagePolicy[];
  /** The controller's namespace (repository Secrets for `sourceRef.kind: Application`). */
  controllerNamespace: string;
  namespaces?: readonly string[];
  /** Where the temporary clones go. */
  workDir?: string;
  now?: () => number;
}

interface Run {
  status: ImageUpdateAutomationStatus;
  readiness: Readiness;
  pushed?: GitWriteResult;
}

export class ImageUpdateAutomationController {
  readonly automations: Controller<ImageUpdateAutomation, Flags>;
  private readonly o: AutomationControllerOptions;
  private readonly patcher = new StatusPatcher<
    ImageUpdateAutomationStatus,
    ImageUpdateAutomation
  >();
  private readonly now: () => number;

  constructor(o: AutomationControllerOptions) {
    this.o = o;
    this.now = o.now ?? Date.now;
    this.automations = new Controller<ImageUpdateAutomation, Flags>({
      name: 'imageupdateautomations',
      kube: o.kube,
      apiVersion: API_VERSION,
      kind: IMAGE_UPDATE_AUTOMATION_KIND,
      ...(o.namespaces ? { namespaces: o.namespaces } : {}),
      concurrency: 2,
      indexes: { namespace: (a) => [a.metadata.namespace ?? ''] },
      reconciler: { reconcile: (req) => this.reconcile(req) },
      log: o.log,
    });
    this.automations.onEvent((_type, a) => this.patcher.observe(a));
  }

  /** A policy of `namespace` selected another image: its automations run now. */
  policyChanged(namespace: string): void {
    for (const a of this.automations.byIndex('namespace', namespace))
      this.automations.enqueue(`${namespace}/${a.metadata.name ?? ''}`);
  }

  private async reconcile({
    namespace,
    name,
    signal,
  }: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.automations.get(namespace, name);
    if (!cached || cached.spec.suspend === true) return {};
    const auto = this.patcher.current(cached);
    const intervalMs = parseDuration(auto.spec.interval, 600_000);
    const { images, observed } = selectedPolicies(auto, this.o.policies());
    const policiesMoved =
      JSON.stringify(observed) !== JSON.stringify(auto.status?.observedPolicies ?? {});
    const due = isDue(auto, auto.status?.lastAutomationRunTime, intervalMs, this.now());
    if (!due.due && !policiesMoved) return { requeueAfterMs: due.inMs };
    const kube = this.o.kube.withSignal(signal);
    const run = await this.run(kube, auto, images, observed, signal);
    await this.write(kube, auto, run);
    if (run.readiness.stalled === true) return {};
    return {
      requeueAfterMs: run.readiness.ready === 'True' ? intervalMs : Math.min(intervalMs, 60_000),
    };
  }

  /** What writeToGit needs for this automation and target. */
  private writeOptions(
    auto: ImageUpdateAutomation,
    target: GitTarget,
    images: Map<string, PolicyImage>,
    signal: AbortSignal,
  ): GitWriteOptions {
    const commit = auto.spec.git.commit;
    const template = commit.messageTemplate ?? DEFAULT_AUTOMATION_MESSAGE;
    const values = commit.messageTemplateValues ?? {};
    const who = { namespace: auto.metadata.namespace ?? '', name: auto.metadata.name ?? '' };
    // A template that cannot render fails before anything is fetched.
    renderTemplate(template, automationTemplateData(who, [], values));
    const push = auto.spec.git.push?.options;
    return {
      repoURL: target.url,
      branch: target.branch,
      pushBranch: target.pushBranch,
      ...(target.credentials ? { credentials: target.credentials } : {}),
      ...(target.timeoutMs ? { timeoutMs: target.timeoutMs } : {}),
      author: { name: commit.author.name ?? 'Sluice', email: commit.author.email },
      edit: settersEdit(auto.spec.update?.path ?? '.', images),
      message: (edit) => renderTemplate(template, automationTemplateData(who, edit.files, values)),
      ...(push ? { pushOptions: push } : {}),
      ...(this.o.workDir ? { workDir: this.o.workDir } : {}),
      signal,
      onRetry: (n, why) =>
        this.o.log.info('image automation: the branch moved; pushing again', {
          automation: `${who.namespace}/${who.name}`,
          attempt: n,
          why,
        }),
    };
  }

  private async run(
    kube: Kube,
    auto: ImageUpdateAutomation,
    images: Map<string, PolicyImage>,
    observed: Observed,
    signal: AbortSignal,
  ): Promise<Run> {
    const status: ImageUpdateAutomationStatus = {
      ...auto.status,
      lastAutomationRunTime: new Date(this.now()).toISOString(),
      observedPolicies: observed,
    };
    try {
      const strategy = auto.spec.update?.strategy;
      if (strategy !== undefined && strategy !== 'Setters')
        throw new SourceConfigError(
          `spec.update.strategy ${String(strategy)}: only Setters is supported`,
        );
      matchesSelector(auto.spec.policySelector, {});
      const target = await resolveTarget(kube, auto, this.o.controllerNamespace);
      const result = await writeToGit(this.writeOptions(auto, target, images, signal));
      status.observedSourceRevision = `${target.pushBranch}@sha1:${result.commit ?? result.base}`;
      if (!result.pushed)
        return {
          status,
          readiness: { ready: 'True', reason: 'Succeeded', message: 'repository up-to-date' },
        };
      status.lastPushCommit = result.commit ?? '';
      status.lastPushTime = new Date(this.now()).toISOString();
      const message = `pushed commit '${(result.commit ?? '').slice(0, 7)}' to branch '${target.pushBranch}'`;
      return { status, readiness: { ready: 'True', reason: 'Succeeded', message }, pushed: result };
    } catch (err) {
      return { status, readiness: failure(err) };
    }
  }

  private async write(kube: Kube, auto: ImageUpdateAutomation, run: Run): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const before = readyCondition(auto);
    const status = run.status;
    status.conditions = conditions(
      auto.status?.conditions,
      run.readiness,
      auto.metadata.generation,
      now,
    );
    status.observedGeneration = auto.metadata.generation ?? 0;
    const asked = requestedAt(auto);
    if (asked !== undefined) status.lastHandledReconcileAt = asked;
    await this.patcher.patchStatus(kube, auto, status);
    const r = run.readiness;
    if (run.pushed) await recordEvent(kube, auto, 'Normal', 'Succeeded', r.message);
    else if (r.ready !== 'True' && (before?.reason !== r.reason || before.message !== r.message)) {
      await recordEvent(kube, auto, 'Warning', r.reason, r.message);
      this.o.log.warn('image automation failed', {
        automation: `${auto.metadata.namespace}/${auto.metadata.name}`,
        reason: r.reason,
        message: r.message,
      });
    }
  }
}

/** A failed run's readiness: the reason from the error's type and code, never its text. */
function failure(err: unknown): Readiness {
  if (err instanceof SourceConfigError)
    return {
      ready: 'False',
      reason: 'InvalidSourceConfiguration',
      message: err.message,
      stalled: true,
    };
  if (err instanceof SelectorError)
    return { ready: 'False', reason: 'InvalidPolicySelector', message: err.message, stalled: true };
  if (err instanceof TemplateError)
    return { ready: 'False', reason: 'UpdateFailed', message: err.message, stalled: true };
  if (err instanceof SourceError && err.code === 'InvalidRepoURL') {
    const message = err.describe();
    return { ready: 'False', reason: 'InvalidSourceConfiguration', message, stalled: true };
  }
  if (err instanceof GitWriteError)
    return { ready: 'False', reason: REASONS[err.code], message: err.describe() };
  if (err instanceof SluiceError)
    return { ready: 'False', reason: 'GitOperationFailed', message: err.describe() };
  throw err instanceof Error ? err : new Error(errorMessage(err));
}
