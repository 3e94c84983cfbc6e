/**
 * The PipelineRun a Trigger starts for a commit (pure): its template with the `$(trigger.*)`
 * variables filled in, a name that is the same every time for one trigger, ref and commit (so a
 * commit seen by the webhook and by polling, or again after a restart, starts one run: the
 * second create is refused as AlreadyExists), and labels that find the runs of a trigger, of a
 * ref and of a commit.
 */
import { createHash } from 'node:crypto';
import { API_VERSION } from '../../api/application.ts';
import { PIPELINE_RUN_KIND, type PipelineRun } from '../../api/pipeline.ts';
import {
  COMMIT_LABEL,
  QUEUED_AT_ANNOTATION,
  REF_ANNOTATION,
  REPO_ANNOTATION,
  TRIGGER_LABEL,
  TRIGGER_REF_LABEL,
  TRIGGER_SOURCE_LABEL,
  type Trigger,
  type TriggerSource,
} from '../../api/trigger.ts';
import { referencesIn, substituteDeep } from '../../pipelines/subst.ts';
import { redactRepoURL } from '../../source/index.ts';
import { splitRef } from './match.ts';

/** A commit the trigger acts on, with what the run's variables need. */
export interface CommitEvent {
  source: TriggerSource;
  ref: string;
  sha: string;
  previous?: string;
  /** `Name <email>`. */
  author: string;
  /** The whole commit message. */
  message: string;
  changedFiles: number;
  /** Set for a run asked for by hand: each request is its own run. */
  requestId?: string;
}

/** The names `$(trigger.<name>)` can take. */
export const TRIGGER_VARIABLES = [
  'sha',
  'shortSha',
  'ref',
  'refName',
  'branch',
  'tag',
  'repoURL',
  'author',
  'message',
  'subject',
  'changedFiles',
  'previousSha',
  'source',
  'name',
] as const;

const hash = (text: string, n: number): string =>
  createHash('sha256').update(text).digest('hex').slice(0, n);

/** The values of the variables for one commit. */
export function triggerVariables(t: Trigger, e: CommitEvent): Record<string, string> {
  const { kind, name } = splitRef(e.ref);
  return {
    sha: e.sha,
    shortSha: e.sha.slice(0, 7),
    ref: e.ref,
    refName: name,
    branch: kind === 'branch' ? name : '',
    tag: kind === 'tag' ? name : '',
    repoURL: redactRepoURL(t.spec.repoURL),
    author: e.author,
    message: e.message,
    subject: e.message.split('\n')[0] ?? '',
    changedFiles: String(e.changedFiles),
    previousSha: e.previous ?? '',
    source: e.source,
    name: t.metadata.name,
  };
}

/** `$(trigger.x)` references in the template that are not variables (for validation). */
export function unknownVariables(t: Pick<Trigger, 'spec'>): string[] {
  const known = new Set<string>(TRIGGER_VARIABLES.map((v) => `trigger.${v}`));
  const refs = referencesIn(t.spec.template).filter((r) => r.startsWith('trigger.'));
  return [...new Set(refs.filter((r) => !known.has(r)))];
}

/**
 * A label value for a ref: readable where it can be, unique always (`main.3f2a9c1b7d`).
 *
 * @example
 * refKey('refs/heads/feature/login') // 'feature-login.<10 hex digits>'
 */
export function refKey(ref: string): string {
  const readable = splitRef(ref)
    .name.replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 40)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  const h = hash(ref, 10);
  return readable === '' ? h : `${readable}.${h}`;
}

/** The run's name: `<trigger>-<short sha>-<hash of trigger, ref, commit and request>`. */
export function runName(t: Trigger, e: Pick<CommitEvent, 'ref' | 'sha' | 'requestId'>): string {
  const base = t.metadata.name.slice(0, 30).replace(/-+$/, '');
  const key = `${t.metadata.namespace}/${t.metadata.name}\n${e.ref}\n${e.sha}\n${e.requestId ?? ''}`;
  return `${base}-${e.sha.slice(0, 7)}-${hash(key, 5)}`;
}

export interface BuildOptions {
  /** Start it held (`spec.status: PipelineRunPending`): it waits its turn in the queue. */
  pending: boolean;
  now: Date;
}

/** The PipelineRun for a commit. Throws a SubstitutionError for a bad reference. */
export function buildRun(t: Trigger, e: CommitEvent, o: BuildOptions): PipelineRun {
  const vars = triggerVariables(t, e);
  const lookup = (ref: string): string | undefined =>
    ref.startsWith('trigger.') ? vars[ref.slice('trigger.'.length)] : undefined;
  const template = substituteDeep(t.spec.template, lookup, { keepUnknown: true });
  const { status: _ignored, ...spec } = template.spec;
  return {
    apiVersion: API_VERSION,
    kind: PIPELINE_RUN_KIND,
    metadata: {
      name: runName(t, e),
      namespace: t.metadata.namespace,
      labels: {
        ...template.metadata?.labels,
        [TRIGGER_LABEL]: t.metadata.name,
        [COMMIT_LABEL]: e.sha,
        [TRIGGER_REF_LABEL]: refKey(e.ref),
        [TRIGGER_SOURCE_LABEL]: e.source,
      },
      annotations: {
        ...template.metadata?.annotations,
        [REF_ANNOTATION]: e.ref,
        [REPO_ANNOTATION]: vars['repoURL'] ?? '',
        [QUEUED_AT_ANNOTATION]: o.now.toISOString(),
      },
    },
    spec: o.pending ? { ...spec, status: 'PipelineRunPending' } : spec,
  };
}
