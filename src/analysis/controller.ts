/**
 * The AnalysisRun controller on the runtime (src/runtime): a Controller of AnalysisRuns whose
 * reconcile is one `stepRun`, status written by a StatusPatcher, and the next measurement
 * scheduled with `requeueAfterMs` (no polling loop). It also watches the Jobs its job metrics
 * create (label `sluice.dev/analysis-run-uid`), so a Job that finishes brings its run back at
 * once. `spec.terminate: true` (a generation change) ends a run with what it has.
 *
 * @example
 * const analysis = createAnalysisController({ kube: manager.kube, log });
 * manager.add(analysis);
 */
import {
  ANALYSIS_RUN_KIND,
  type AnalysisPhase,
  type AnalysisRun,
  type AnalysisRunStatus,
  type Measurement,
} from '../api/analysis.ts';
import { API_VERSION } from '../api/application.ts';
import { errorMessage } from '../errors.ts';
import type { Kube } from '../kube/api.ts';
import { Informer, type InformerEventType } from '../kube/informer.ts';
import type { KubeObject } from '../kube/types.ts';
import { Controller, type ReconcileRequest, type ReconcileResult } from '../runtime/controller.ts';
import { recordEvent } from '../runtime/events.ts';
import { StatusPatcher } from '../runtime/patcher.ts';
import type { Logger } from '../util/log.ts';
import { isCompleted } from './assess.ts';
import { AnalysisError } from './errors.ts';
import { defaultProviders, type Providers } from './providers/index.ts';
import { deleteMeasurementJob, RUN_UID_LABEL } from './providers/job.ts';
import { jobHealth } from '../health/job.ts';
import { stepRun } from './reconcile.ts';

export interface AnalysisControllerOptions {
  kube: Kube;
  /** Watch AnalysisRuns (and their Jobs) only in these namespaces (default: all). */
  namespaces?: readonly string[];
  log: Logger;
  concurrency?: number;
  /** Retry an Error without `interval` after this long (default 10 s, as Argo Rollouts). */
  errorRetryMs?: number;
  /** Replace providers (tests). */
  providers?: Partial<Providers>;
  now?: () => number;
}

type Flags = Record<string, never>;

const EVENT_REASONS: Partial<Record<AnalysisPhase, string>> = {
  Successful: 'AnalysisRunSuccessful',
  Failed: 'AnalysisRunFailed',
  Error: 'AnalysisRunError',
  Inconclusive: 'AnalysisRunInconclusive',
};

/** The run a Job belongs to (`namespace/name`), from its owner reference. */
function ownerKey(job: KubeObject): string | undefined {
  const owner = job.metadata.ownerReferences?.find((o) => o.kind === ANALYSIS_RUN_KIND);
  return owner ? `${job.metadata.namespace ?? ''}/${owner.name}` : undefined;
}

export class AnalysisRunController extends Controller<AnalysisRun, Flags> {
  private readonly jobInformers: Informer[];
  private readonly patcher = new StatusPatcher<AnalysisRunStatus, AnalysisRun>();
  private readonly kube: Kube;
  private readonly log: Logger;
  private readonly providers: Providers;
  private readonly options: AnalysisControllerOptions;

  constructor(options: AnalysisControllerOptions) {
    const reconciler = {
      target: undefined as AnalysisRunController | undefined,
      reconcile(req: ReconcileRequest<Flags>): Promise<ReconcileResult> {
        return this.target ? this.target.reconcileRun(req) : Promise.resolve({});
      },
    };
    super({
      name: 'analysisruns',
      kube: options.kube,
      apiVersion: API_VERSION,
      kind: ANALYSIS_RUN_KIND,
      ...(options.namespaces ? { namespaces: options.namespaces } : {}),
      concurrency: options.concurrency ?? 20,
      reconciler,
      log: options.log,
    });
    reconciler.target = this;
    this.options = options;
    this.kube = options.kube;
    this.log = options.log;
    this.providers = { ...defaultProviders(), ...options.providers };
    this.onEvent((type, run) => this.onRunEvent(type, run));
    this.jobInformers = (options.namespaces?.length ? options.namespaces : ['']).map(
      (ns) =>
        new Informer(options.kube, {
          apiVersion: 'batch/v1',
          kind: 'Job',
          labelSelector: RUN_UID_LABEL,
          ...(ns ? { namespace: ns } : {}),
          onError: (err) =>
            options.log.warn('watch failed; retrying', { kind: 'Job', error: errorMessage(err) }),
        }),
    );
  }

  override async start(): Promise<void> {
    for (const inf of this.jobInformers)
      inf.on((type, job, old) => this.onJobEvent(type, job, old));
    await Promise.all([super.start(), ...this.jobInformers.map((i) => i.start())]);
  }

  override async stop(): Promise<void> {
    await super.stop();
    for (const inf of this.jobInformers) inf.stop();
  }

  private onRunEvent(type: InformerEventType, run: AnalysisRun): void {
    if (type === 'deleted') this.patcher.forget(`${run.metadata.namespace}/${run.metadata.name}`);
    else this.patcher.observe(run);
  }

  /** A Job that finished (or vanished) brings its run back. */
  private onJobEvent(type: InformerEventType, job: KubeObject, old: KubeObject | undefined): void {
    const key = ownerKey(job);
    if (!key || type === 'added') return;
    if (type === 'modified' && old && jobHealth(old).status === jobHealth(job).status) return;
    this.enqueue(key);
  }

  private job(namespace: string, name: string): KubeObject | undefined {
    for (const inf of this.jobInformers) {
      const j = inf.get(namespace, name);
      if (j) return j;
    }
    return undefined;
  }

  private async secret(kube: Kube, namespace: string, name: string, key: string): Promise<string> {
    const s = await kube.get('v1', 'Secret', namespace, name);
    const data = (s?.['data'] ?? {}) as Record<string, string>;
    const v = Object.hasOwn(data, key) ? data[key] : undefined;
    if (v === undefined)
      throw new AnalysisError(
        'MissingArgument',
        s
          ? `Secret/${namespace}/${name} has no key ${key}`
          : `Secret/${namespace}/${name} does not exist`,
      );
    return Buffer.from(v, 'base64').toString('utf8');
  }

  async reconcileRun({
    namespace,
    name,
    signal,
  }: ReconcileRequest<Flags>): Promise<ReconcileResult> {
    const cached = this.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return {};
    const run = this.patcher.current(cached);
    const kube = this.kube.withSignal(signal);
    const step = await stepRun(
      run,
      {
        kube,
        providers: this.providers,
        jobs: (ns, n) => this.job(ns, n),
        secret: (ns, n, key) => this.secret(kube, ns, n, key),
        now: this.options.now ?? Date.now,
        ...(this.options.errorRetryMs !== undefined
          ? { errorRetryMs: this.options.errorRetryMs }
          : {}),
      },
      signal,
    );
    const before = run.status?.phase;
    await this.patcher.patchStatus(kube, run, step.status);
    await this.afterStep(kube, run, step.dropped, before, step.status);
    return step.requeueAfterMs !== undefined ? { requeueAfterMs: step.requeueAfterMs } : {};
  }

  /** Jobs of dropped measurements go; a run that just ended gets an Event. */
  private async afterStep(
    kube: Kube,
    run: AnalysisRun,
    dropped: readonly Measurement[],
    before: AnalysisPhase | undefined,
    status: AnalysisRunStatus,
  ): Promise<void> {
    for (const m of dropped) {
      await deleteMeasurementJob(kube, run.metadata.namespace, m).catch((err: unknown) =>
        this.log.warn('cannot delete an old analysis Job', { error: errorMessage(err) }),
      );
    }
    const phase = status.phase;
    if (!phase || phase === before || !isCompleted(phase)) return;
    this.log.info('analysis run completed', {
      run: `${run.metadata.namespace}/${run.metadata.name}`,
      phase,
      message: status.message,
    });
    const type = phase === 'Successful' ? 'Normal' : 'Warning';
    await recordEvent(
      kube,
      run,
      type,
      EVENT_REASONS[phase] ?? phase,
      status.message ?? `analysis ${phase}`,
    );
  }
}

/** The AnalysisRun controller, ready for `manager.add`. */
export function createAnalysisController(
  options: AnalysisControllerOptions,
): AnalysisRunController {
  return new AnalysisRunController(options);
}
