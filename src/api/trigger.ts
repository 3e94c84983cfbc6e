/**
 * The Trigger resource (sluice.dev/v1alpha1): "when a commit lands on these branches or tags of
 * this repository, touching these paths, start this PipelineRun". Commits arrive by a signed push
 * webhook (`POST /api/webhook`) or by polling the repository (`git ls-remote`, every
 * `pollInterval`); both lead to the same run, started once per trigger, ref and commit.
 *
 * One resource does what Tekton Triggers spreads over an EventListener, a TriggerBinding and a
 * TriggerTemplate: the binding is built in (the `$(trigger.*)` variables below) and the template
 * is `spec.template`, a PipelineRun. Filters read like GitHub Actions' `on.push`.
 *
 * ```yaml
 * apiVersion: sluice.dev/v1alpha1
 * kind: Trigger
 * metadata: { name: ci, namespace: team }
 * spec:
 *   repoURL: https://git.example.com/org/app.git
 *   branches: [main, 'release/**']     # globs; `!pattern` excludes
 *   tags: ['v*']
 *   paths: ['src/**', '!src/**.md']    # run when a changed file matches (branches only)
 *   pollInterval: 1m                   # 0: webhook only
 *   concurrencyPolicy: CancelPrevious  # Allow | CancelPrevious | Queue (per trigger and ref)
 *   template:
 *     spec:
 *       pipelineRef: { name: build }
 *       params: [{ name: revision, value: $(trigger.sha) }]
 * ```
 *
 * Variables: `$(trigger.sha)`, `shortSha`, `ref`, `refName` (branch or tag), `branch`, `tag`,
 * `repoURL`, `author`, `message`, `subject`, `changedFiles` (a count), `previousSha`, `source`
 * (webhook, poll or manual) and `name` (the Trigger's), usable in any string of the template.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { ConditionSchema, PipelineRunSpecSchema } from './pipeline.ts';
import { StringEnum, StringMap } from './schema.ts';

const Opt = Type.Optional;

export const TRIGGER_KIND = 'Trigger';

export const CONCURRENCY_POLICIES = ['Allow', 'CancelPrevious', 'Queue'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

/** The labels and annotations a trigger puts on the PipelineRuns it starts. */
export const TRIGGER_LABEL = 'sluice.dev/trigger';
export const COMMIT_LABEL = 'sluice.dev/commit';
/** A label-safe key of the ref (branch or tag): runs of one trigger and ref share it. */
export const TRIGGER_REF_LABEL = 'sluice.dev/trigger-ref';
/** webhook | poll | manual */
export const TRIGGER_SOURCE_LABEL = 'sluice.dev/trigger-source';
export const REF_ANNOTATION = 'sluice.dev/ref';
export const REPO_ANNOTATION = 'sluice.dev/repo';
/** When the run joined its trigger's queue (ms precision: FIFO order). */
export const QUEUED_AT_ANNOTATION = 'sluice.dev/queued-at';
/** On a Trigger: a request to start a run by hand (`sluice trigger run`), as JSON. */
export const RUN_REQUEST_ANNOTATION = 'sluice.dev/run-request';

export const TriggerTemplateSchema = Type.Object({
  metadata: Opt(
    Type.Object({
      labels: Opt(StringMap()),
      annotations: Opt(StringMap()),
    }),
  ),
  spec: PipelineRunSpecSchema,
});

export const TriggerSpecSchema = Type.Object({
  repoURL: Type.String({ description: 'https, ssh or file URL of the repository to watch' }),
  branches: Opt(
    Type.Array(Type.String(), {
      description:
        'branch globs (`*` within a segment, `**` across, `!` excludes); with neither branches nor tags: every branch and tag',
    }),
  ),
  tags: Opt(Type.Array(Type.String(), { description: 'tag globs, as branches' })),
  paths: Opt(
    Type.Array(Type.String(), {
      description: 'run only when a changed file matches (`!` excludes); not applied to tags',
    }),
  ),
  pathsIgnore: Opt(
    Type.Array(Type.String(), { description: 'skip when every changed file matches one' }),
  ),
  pollInterval: Opt(
    Type.String({ description: 'check the repository this often (default 3m; 0: webhook only)' }),
  ),
  concurrencyPolicy: Opt(
    StringEnum(
      CONCURRENCY_POLICIES,
      'runs of one trigger and ref: Allow (default) side by side, CancelPrevious, or Queue (one at a time, in order)',
    ),
  ),
  suspend: Opt(Type.Boolean({ description: 'act on no push or poll until false again' })),
  template: TriggerTemplateSchema,
});

export const TRIGGER_OUTCOMES = ['Baseline', 'Started', 'Skipped', 'Existing', 'Failed'] as const;
/**
 * What became of a commit: Baseline (already there when the trigger started watching), Started
 * (a run), Skipped (the path filters), Existing (its run had been started already), Failed.
 */
export type TriggerOutcome = (typeof TRIGGER_OUTCOMES)[number];

export const TRIGGER_SOURCES = ['webhook', 'poll', 'manual'] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

const RunRefSchema = Type.Object({
  name: Type.String(),
  commit: Type.String(),
  startedAt: Type.String(),
});

export const TriggerRefStatusSchema = Type.Object({
  ref: Type.String({ description: 'refs/heads/<branch> or refs/tags/<tag>' }),
  commit: Type.String({ description: 'the last commit handled on this ref' }),
  handledAt: Type.String(),
  outcome: StringEnum(TRIGGER_OUTCOMES),
  lastRun: Opt(RunRefSchema),
});

export const TriggerEventSchema = Type.Object({
  source: StringEnum(TRIGGER_SOURCES),
  ref: Type.String(),
  commit: Type.String(),
  at: Type.String(),
  outcome: StringEnum(TRIGGER_OUTCOMES),
  message: Opt(Type.String()),
  run: Opt(Type.String()),
  changedFiles: Opt(Type.Integer()),
});

export const TriggerRequestStatusSchema = Type.Object({
  id: Type.String(),
  at: Type.String(),
  run: Opt(Type.String()),
  commit: Opt(Type.String()),
  error: Opt(Type.String()),
  reason: Opt(Type.String({ description: 'why it failed, as data (e.g. RevisionNotFound)' })),
});

export const TriggerStatusSchema = Type.Object({
  observedGeneration: Opt(Type.Integer()),
  conditions: Opt(Type.Array(ConditionSchema)),
  /** The repository `refs` were read from (normalized); another one starts a new baseline. */
  repository: Opt(Type.String()),
  /** A hash of the branch and tag filters `refs` were recorded with; others start a baseline. */
  filters: Opt(Type.String()),
  refs: Opt(Type.Array(TriggerRefStatusSchema)),
  lastEvent: Opt(TriggerEventSchema),
  lastRequest: Opt(TriggerRequestStatusSchema),
});

export type TriggerSpec = Static<typeof TriggerSpecSchema>;
export type TriggerStatus = Static<typeof TriggerStatusSchema>;
export type TriggerRefStatus = Static<typeof TriggerRefStatusSchema>;
export type TriggerEvent = Static<typeof TriggerEventSchema>;
export type TriggerRequestStatus = Static<typeof TriggerRequestStatusSchema>;

export interface Trigger extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: TriggerSpec;
  status?: TriggerStatus;
}

/** Why the trigger is (not) Ready, as data. */
export const TRIGGER_REASONS = [
  'Watching',
  'Suspended',
  'InvalidSpec',
  'RepoUnreachable',
  'AuthFailed',
  'PipelineNotFound',
  'RunFailed',
] as const;
export type TriggerReason = (typeof TRIGGER_REASONS)[number];

/** `sluice trigger run`'s request, the value of RUN_REQUEST_ANNOTATION. */
export interface RunRequest {
  id: string;
  /** A branch, tag or commit SHA. */
  revision: string;
  /** The ref the run is for (concurrency, `$(trigger.ref)`); default: the revision's own. */
  ref?: string;
  /** Who asked. */
  by?: string;
}
