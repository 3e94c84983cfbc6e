/**
 * What a Promotion should do now, from what its environments run (pure; the controller observes
 * and carries the plan out). For each environment after the first:
 *
 * - the candidate is the version the previous environment runs (`current`), once that one is
 *   Synced and Healthy on it;
 * - its gates: `soak` (Healthy on it for that long; always there, 0 by default: "the previous
 *   environment is Healthy on it"), `analysis` (the previous environment's Rollouts on it
 *   finished their canary with analysis passed; an abort or a failed analysis fails the gate),
 *   `approval` (an `Approved` entry in spec.approvals for this environment and version; a
 *   `Rejected` one stops the step);
 * - all passed → `Promoting` and a write (the controller commits the version to the
 *   environment's Git target, then records `Deploying` with the commit); the environment running
 *   it Healthy → `Promoted`; Degraded on it → `Failed`.
 *
 * A version that was Rejected or Failed stays stopped; a newer version starts a new step.
 */
import type {
  Approval,
  Environment,
  EnvironmentStatus,
  GateStatus,
  Promotion,
  StepPhase,
} from '../../api/promotion.ts';
import type { HealthStatus } from '../../api/application.ts';
import { parseGoDuration } from '../../pipelines/duration.ts';
import { formatImageRef, refsTo, shortVersion, versionOf } from './imageref.ts';

export interface AppObservation {
  name: string;
  found: boolean;
  sync?: string;
  health?: HealthStatus;
  /** status.summary.images */
  images: readonly string[];
}

export interface RolloutObservation {
  name: string;
  images: readonly string[];
  /** Healthy: fully promoted on its template; Aborted: its last update was rolled back. */
  phase: 'Healthy' | 'Progressing' | 'Paused' | 'Degraded' | 'Aborted';
  /** The newest AnalysisRun of its current template. */
  analysis: 'Successful' | 'Failed' | 'Running' | 'None';
  message?: string;
}

export interface EnvObservation {
  apps: readonly AppObservation[];
  rollouts: readonly RolloutObservation[];
}

export type EnvState = 'Healthy' | 'Progressing' | 'Degraded' | 'OutOfSync' | 'Missing' | 'Mixed';

export interface EnvView {
  state: EnvState;
  message: string;
  /** The one version of the image its apps run (none when none or several). */
  current?: { image: string; version: string };
}

export interface Write {
  environment: string;
  image: string;
  version: string;
}

export interface PromotionPlan {
  environments: EnvironmentStatus[];
  writes: Write[];
  /** Look again then (a soak ending). */
  requeueAfterMs?: number;
}

/** An environment's state and the version it runs, from its apps. */
export function viewEnv(image: string, o: EnvObservation): EnvView {
  const missing = o.apps.filter((a) => !a.found).map((a) => a.name);
  const refs = o.apps.flatMap((a) => refsTo(image, a.images));
  const versions = [...new Set(refs.map(versionOf))];
  const ref = refs[0];
  const current =
    versions.length === 1 && ref
      ? { image: formatImageRef(ref), version: versions[0]! }
      : undefined;
  const pick = (state: EnvState, message: string): EnvView => ({
    state,
    message,
    ...(current ? { current } : {}),
  });
  if (missing.length > 0) return pick('Missing', `Application(s) not found: ${missing.join(', ')}`);
  const outOfSync = o.apps.filter((a) => a.sync !== 'Synced').map((a) => a.name);
  if (outOfSync.length > 0) return pick('OutOfSync', `not Synced: ${outOfSync.join(', ')}`);
  const degraded = o.apps.filter((a) => a.health === 'Degraded').map((a) => a.name);
  if (degraded.length > 0) return pick('Degraded', `Degraded: ${degraded.join(', ')}`);
  const busy = o.apps.filter((a) => a.health !== 'Healthy').map((a) => a.name);
  if (busy.length > 0) return pick('Progressing', `not Healthy yet: ${busy.join(', ')}`);
  if (versions.length > 1)
    return pick(
      'Mixed',
      `runs several versions of ${image}: ${versions.map(shortVersion).join(', ')}`,
    );
  if (versions.length === 0) return pick('Missing', `none of its apps runs ${image}`);
  return pick('Healthy', `Healthy on ${shortVersion(versions[0]!)}`);
}

const STOPPED: readonly StepPhase[] = ['Rejected', 'Failed'];

function approvalFor(approvals: readonly Approval[], env: string, version: string) {
  return approvals.filter((a) => a.environment === env && a.digest === version).at(-1);
}

interface GateInput {
  /** spec.image: the repository promoted. */
  repository: string;
  env: Environment;
  from: { name: string; view: EnvView; since?: string };
  rollouts: readonly RolloutObservation[];
  approvals: readonly Approval[];
  version: string;
  now: number;
}

function gateInput(
  p: Promotion,
  env: Environment,
  from: { name: string; view: EnvView; since: string | undefined },
  rollouts: readonly RolloutObservation[],
  version: string,
  now: number,
): GateInput {
  return {
    repository: p.spec.image,
    env,
    from: { name: from.name, view: from.view, ...(from.since ? { since: from.since } : {}) },
    rollouts,
    approvals: p.spec.approvals ?? [],
    version,
    now,
  };
}

/** The soak gate, and when it will pass. */
function soakGate(g: GateInput): { gate: GateStatus; waitMs?: number } {
  const soakMs = parseGoDuration(g.env.gates?.soak ?? '0s') ?? 0;
  const { name, view, since } = g.from;
  if (view.state !== 'Healthy' || !since)
    return { gate: { name: 'soak', state: 'Pending', message: `${name}: ${view.message}` } };
  const left = Date.parse(since) + soakMs - g.now;
  if (left > 0)
    return {
      gate: {
        name: 'soak',
        state: 'Pending',
        message: `${name} Healthy on it, ${Math.ceil(left / 1000)} s of soak left`,
      },
      waitMs: left,
    };
  return {
    gate: { name: 'soak', state: 'Passed', message: `${name} Healthy on it since ${since}` },
  };
}

function analysisGate(g: GateInput): GateStatus {
  const on = g.rollouts.filter((r) =>
    refsTo(g.repository, r.images).some((ref) => versionOf(ref) === g.version),
  );
  const bad = on.find(
    (r) => r.phase === 'Aborted' || r.analysis === 'Failed' || r.phase === 'Degraded',
  );
  if (bad)
    return {
      name: 'analysis',
      state: 'Failed',
      message: `Rollout ${bad.name}: ${bad.message ?? bad.phase}`,
    };
  if (on.length === 0)
    return {
      name: 'analysis',
      state: 'Pending',
      message: `no Rollout in ${g.from.name} runs it yet`,
    };
  const open = on.find((r) => r.phase !== 'Healthy' || r.analysis === 'Running');
  if (open)
    return { name: 'analysis', state: 'Pending', message: `Rollout ${open.name} is ${open.phase}` };
  const unmeasured = on.find((r) => r.analysis !== 'Successful');
  if (unmeasured)
    return {
      name: 'analysis',
      state: 'Failed',
      message: `Rollout ${unmeasured.name} was promoted without a successful analysis of it`,
    };
  return { name: 'analysis', state: 'Passed', message: `${on.length} Rollout(s) promoted` };
}

function approvalGate(g: GateInput): GateStatus {
  const a = approvalFor(g.approvals, g.env.name, g.version);
  if (!a)
    return {
      name: 'approval',
      state: 'Pending',
      message: `waiting for \`sluice promote approve ${g.env.name}\``,
    };
  const why = a.reason ? `: ${a.reason}` : '';
  return a.decision === 'Approved'
    ? { name: 'approval', state: 'Passed', message: `approved by ${a.user}${why}` }
    : { name: 'approval', state: 'Failed', message: `rejected by ${a.user}${why}` };
}

type Candidate = NonNullable<EnvironmentStatus['candidate']>;

interface StepResult {
  candidate: EnvironmentStatus['candidate'];
  write?: Write;
  waitMs?: number;
}

/** Makes candidate entries for one version, keeping `since` and the commit across plans. */
function candidateMaker(old: Candidate | undefined, image: string, version: string, now: number) {
  const same = old?.version === version;
  const at = new Date(now).toISOString();
  return (ph: StepPhase, message: string, extra: Partial<Candidate> = {}): Candidate => ({
    image,
    version,
    phase: ph,
    message,
    since: same && old?.phase === ph ? (old.since ?? at) : at,
    ...(same && old?.commit ? { commit: old.commit } : {}),
    ...extra,
  });
}

/** The gates of a step, and when the soak ends. */
function evaluateGates(g: GateInput): { gates: GateStatus[]; waitMs?: number } {
  const soak = soakGate(g);
  const gates = [soak.gate];
  if (g.env.gates?.analysis) gates.push(analysisGate(g));
  if (g.env.gates?.approval) gates.push(approvalGate(g));
  return { gates, ...(soak.waitMs !== undefined ? { waitMs: soak.waitMs } : {}) };
}

/** Gates evaluated: stopped, waiting, or a write to make. */
function decide(
  g: GateInput,
  make: ReturnType<typeof candidateMaker>,
  image: string,
  suspend: boolean,
): StepResult {
  const { gates, waitMs } = evaluateGates(g);
  const failed = gates.find((x) => x.state === 'Failed');
  if (failed) {
    const ph = failed.name === 'approval' ? 'Rejected' : 'Failed';
    return { candidate: make(ph, `gate ${failed.name}: ${failed.message ?? ''}`, { gates }) };
  }
  const pending = gates.filter((x) => x.state === 'Pending');
  if (pending.length > 0 || suspend) {
    const why = suspend
      ? 'suspended'
      : pending.map((x) => `${x.name}: ${x.message ?? ''}`).join('; ');
    return { candidate: make('Waiting', why, { gates }), ...(waitMs ? { waitMs } : {}) };
  }
  return {
    candidate: make('Promoting', `writing ${shortVersion(g.version)} to ${g.env.name}`, { gates }),
    write: { environment: g.env.name, image, version: g.version },
  };
}

/** The environment runs the version: how it is doing on it. */
function arrived(env: string, view: EnvView, make: ReturnType<typeof candidateMaker>): Candidate {
  if (view.state === 'Healthy') return make('Promoted', `${env} runs it`);
  if (view.state === 'Degraded') return make('Failed', `${env} ${view.message}`);
  return make('Deploying', `${env}: ${view.message}`);
}

/** The step into environment `i`, and what it needs done. */
function step(
  p: Promotion,
  i: number,
  views: readonly EnvView[],
  statuses: readonly EnvironmentStatus[],
  prev: EnvironmentStatus | undefined,
  obs: readonly EnvObservation[],
  now: number,
): StepResult {
  const env = p.spec.environments[i]!;
  const source = statuses[i - 1]?.current;
  const old = prev?.candidate;
  if (!source || views[i - 1]?.state !== 'Healthy') return { candidate: old };
  const { version, image } = source;
  const make = candidateMaker(old, image, version, now);
  const view = views[i]!;
  if (view.current?.version === version) return { candidate: arrived(env.name, view, make) };
  // A stopped version stays stopped; a written one waits for its environment to sync.
  if (old?.version === version && (STOPPED.includes(old.phase) || old.phase === 'Deploying'))
    return { candidate: old };
  const from = { name: p.spec.environments[i - 1]!.name, view: views[i - 1]!, since: source.since };
  const g = gateInput(p, env, from, obs[i - 1]?.rollouts ?? [], version, now);
  return decide(g, make, image, p.spec.suspend === true);
}

/** The plan for `p`, given what each environment's apps and Rollouts are doing. */
export function planPromotion(
  p: Promotion,
  obs: readonly EnvObservation[],
  now: number,
): PromotionPlan {
  const previous = new Map((p.status?.environments ?? []).map((e) => [e.name, e]));
  const views = p.spec.environments.map((_, i) =>
    viewEnv(p.spec.image, obs[i] ?? { apps: [], rollouts: [] }),
  );
  const at = new Date(now).toISOString();
  const statuses: EnvironmentStatus[] = p.spec.environments.map((env, i) => {
    const v = views[i]!;
    const before = previous.get(env.name)?.current;
    if (!v.current) return { name: env.name };
    const kept = before?.version === v.current.version && before.since;
    const since = v.state === 'Healthy' ? (kept ? before.since : at) : undefined;
    return { name: env.name, current: { ...v.current, ...(since ? { since } : {}) } };
  });
  const writes: Write[] = [];
  let requeueAfterMs: number | undefined;
  for (let i = 1; i < p.spec.environments.length; i++) {
    const s = step(p, i, views, statuses, previous.get(p.spec.environments[i]!.name), obs, now);
    if (s.candidate) statuses[i] = { ...statuses[i]!, candidate: s.candidate };
    if (s.write) writes.push(s.write);
    if (s.waitMs !== undefined) requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, s.waitMs);
  }
  return {
    environments: statuses,
    writes,
    ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}),
  };
}
