/**
 * The PipelineRuns triggers start: a watch cache of the runs labelled `sluice.dev/trigger`
 * (indexed by trigger, so a decision costs no request), and the three writes a trigger makes —
 * create a run (AlreadyExists means it was started before: the commit is not run twice), cancel
 * the runs a new one replaces, let a held run go.
 *
 * A run just written is remembered until the watch delivers it (or a newer version), so two
 * commits in quick succession see each other's runs (Queue holds the second; CancelPrevious
 * cancels the first).
 * A run that finishes, is deleted or let go wakes its trigger (`onChange`): a queue moves on.
 */
import { API_VERSION } from '../../api/application.ts';
import { PIPELINE_RUN_KIND, type PipelineRun } from '../../api/pipeline.ts';
import { TRIGGER_LABEL, TRIGGER_REF_LABEL, type ConcurrencyPolicy } from '../../api/trigger.ts';
import { errorMessage } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { KubeApiError } from '../../kube/errors.ts';
import { Informer } from '../../kube/informer.ts';
import type { Logger } from '../../util/log.ts';
import { admit, runState, toRelease } from './concurrency.ts';

export const FIELD_MANAGER = 'sluice-triggers';
const OVERLAY_MS = 60_000;

export interface TriggerRunsOptions {
  kube: Kube;
  log: Logger;
  namespaces?: readonly string[] | undefined;
  /** A run of this trigger finished, was deleted or let go. */
  onChange: (namespace: string, trigger: string) => void;
}

export interface Started {
  name: string;
  /** It had been created before (by an earlier reconcile, or another source of the event). */
  existed: boolean;
  held: boolean;
  cancelled: string[];
}

const keyOf = (r: PipelineRun): string => `${r.metadata.namespace}/${r.metadata.name}`;
const triggerOf = (r: PipelineRun): string | undefined => r.metadata.labels?.[TRIGGER_LABEL];

/** Did what a queue or a waiting trigger cares about change? */
function moved(r: PipelineRun, old: PipelineRun | undefined): boolean {
  if (!old) return false;
  const a = runState(r);
  const b = runState(old);
  return a.done !== b.done || a.held !== b.held;
}

export class TriggerRuns {
  private readonly o: TriggerRunsOptions;
  private readonly informers: Informer<PipelineRun>[];
  /** Our writes the cache may not show yet, with the version each was written over. */
  private readonly overlay = new Map<
    string,
    { run: PipelineRun; over: string | undefined; until: number }
  >();

  constructor(o: TriggerRunsOptions) {
    this.o = o;
    this.informers = (o.namespaces?.length ? o.namespaces : [undefined]).map(
      (namespace) =>
        new Informer<PipelineRun>(o.kube, {
          apiVersion: API_VERSION,
          kind: PIPELINE_RUN_KIND,
          labelSelector: TRIGGER_LABEL,
          ...(namespace ? { namespace } : {}),
          onError: (err) =>
            o.log.warn('PipelineRun watch failed; retrying', { error: errorMessage(err) }),
        }),
    );
    for (const inf of this.informers) {
      inf.addIndex('trigger', (r) => {
        const t = triggerOf(r);
        return t ? [`${r.metadata.namespace}/${t}`] : [];
      });
      inf.on((type, r, old) => this.onEvent(type, r, old));
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers) i.stop();
  }

  /** The runs of a trigger (of one ref, given its label key), with our latest writes. */
  of(namespace: string, trigger: string, refKey?: string): PipelineRun[] {
    const byName = new Map<string, PipelineRun>();
    for (const inf of this.informers)
      for (const r of inf.byIndex('trigger', `${namespace}/${trigger}`)) byName.set(keyOf(r), r);
    const now = Date.now();
    for (const [key, o] of this.overlay) {
      const cached = byName.get(key);
      const stale = cached === undefined || cached.metadata.resourceVersion === o.over;
      if (o.until < now || !stale) this.overlay.delete(key);
      else if (triggerOf(o.run) === trigger && o.run.metadata.namespace === namespace)
        byName.set(key, o.run);
    }
    const all = [...byName.values()];
    return refKey ? all.filter((r) => r.metadata.labels?.[TRIGGER_REF_LABEL] === refKey) : all;
  }

  private cached(namespace: string, name: string): PipelineRun | undefined {
    for (const inf of this.informers) {
      const r = inf.get(namespace, name);
      if (r) return r;
    }
    return undefined;
  }

  /**
   * Starts the run `build(held)` makes under `policy`: held when the queue says so; the runs it
   * replaces cancelled. A run of that name that exists already is left as it is.
   */
  async startRun(
    kube: Kube,
    build: (held: boolean) => PipelineRun,
    policy: ConcurrencyPolicy,
  ): Promise<Started> {
    const probe = build(false);
    const { namespace, name } = probe.metadata;
    const trigger = triggerOf(probe) ?? '';
    const refKey = probe.metadata.labels?.[TRIGGER_REF_LABEL];
    const same = this.of(namespace, trigger, refKey);
    const existing = same.find((r) => r.metadata.name === name);
    if (existing) return this.startedBefore(kube, existing, same, policy);
    const decision = admit(policy, same.map(runState));
    const run = build(decision.held);
    try {
      this.remember(
        await kube.create<PipelineRun>(run, { fieldManager: FIELD_MANAGER }),
        undefined,
      );
    } catch (err) {
      if (err instanceof KubeApiError && err.conflict)
        return { name, existed: true, held: false, cancelled: [] };
      throw err;
    }
    for (const other of decision.cancel) await this.patchSpec(kube, namespace, other, 'Cancelled');
    return { name, existed: false, held: decision.held, cancelled: decision.cancel };
  }

  /**
   * The run had been created before (a crash between its create and what followed): what
   * CancelPrevious owed the runs that arrived before it is done now.
   */
  private async startedBefore(
    kube: Kube,
    run: PipelineRun,
    same: readonly PipelineRun[],
    policy: ConcurrencyPolicy,
  ): Promise<Started> {
    const mine = runState(run);
    const before = same
      .map(runState)
      .filter((r) => r.name !== mine.name && r.arrived < mine.arrived);
    const cancel = policy === 'CancelPrevious' ? admit(policy, before).cancel : [];
    const { namespace, name } = run.metadata;
    for (const other of cancel) await this.patchSpec(kube, namespace, other, 'Cancelled');
    return { name, existed: true, held: mine.held, cancelled: cancel };
  }

  /** Lets go the held runs the policy allows now, per ref; resolves with their names. */
  async release(
    kube: Kube,
    namespace: string,
    trigger: string,
    policy: ConcurrencyPolicy,
  ): Promise<string[]> {
    const byRef = new Map<string, PipelineRun[]>();
    for (const r of this.of(namespace, trigger)) {
      const k = r.metadata.labels?.[TRIGGER_REF_LABEL] ?? '';
      byRef.set(k, [...(byRef.get(k) ?? []), r]);
    }
    const released: string[] = [];
    for (const runs of byRef.values()) {
      for (const name of toRelease(policy, runs.map(runState))) {
        await this.patchSpec(kube, namespace, name, null);
        released.push(name);
      }
    }
    return released;
  }

  private async patchSpec(
    kube: Kube,
    namespace: string,
    name: string,
    status: 'Cancelled' | null,
  ): Promise<void> {
    const target = {
      apiVersion: API_VERSION,
      kind: PIPELINE_RUN_KIND,
      metadata: { namespace, name },
    };
    const over = this.cached(namespace, name)?.metadata.resourceVersion;
    try {
      const r = await kube.mergePatch<PipelineRun>(target, { spec: { status } });
      this.remember(r, over);
    } catch (err) {
      // Deleted meanwhile: nothing left to cancel or let go.
      if (!(err instanceof KubeApiError && err.notFound)) throw err;
    }
  }

  private remember(run: PipelineRun, over: string | undefined): void {
    this.overlay.set(keyOf(run), { run, over, until: Date.now() + OVERLAY_MS });
  }

  private onEvent(
    type: 'added' | 'modified' | 'deleted',
    r: PipelineRun,
    old: PipelineRun | undefined,
  ): void {
    if (type === 'deleted') this.overlay.delete(keyOf(r));
    const trigger = triggerOf(r);
    if (trigger && (type === 'deleted' || moved(r, old)))
      this.o.onChange(r.metadata.namespace, trigger);
  }
}
