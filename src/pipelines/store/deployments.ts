/**
 * Deployment records (DORA metrics) in the same store as pipeline records: one row per
 * deployment an Application (or a Rollout no Application manages) made, with the commits it
 * brought. Written by the recorder (src/delivery/dora/recorder.ts), read by `sluice dora`, the
 * controller's /metrics and `GET /api/dora`. Both backends through the same SQL (sql.ts).
 *
 * - `record` inserts once per `key` (the recorder keys by app, revision and deployment, so a
 *   restarted recorder writing the same deployment again changes nothing); commits go with it in
 *   the same transaction.
 * - `markFailed` turns a deployment into a failed change (rolled back, Rollout aborted) once;
 *   `markHealthy` notes that a failed deployment's revision reached Synced+Healthy after all.
 * - `restore` closes the app's open failures: the next good deployment restored them.
 *
 * Records are kept without a retention limit: they are small, and DORA looks back months.
 *
 * @example
 * const { id } = await store.deployments.record({ key, environment: 'prod', ... });
 * await store.deployments.restore({ kind: 'Application', namespace, app }, healthyAt, revision);
 */
import { RunStoreError } from './errors.ts';
import { num, optNum, placeholders, str, toMs, toTime, type Row, type SqlDb } from './sql.ts';

export type DeploymentKind = 'Application' | 'Rollout';
export type DeploymentOutcome = 'Succeeded' | 'Failed';
/** How a deployment failed, as data: its sync failed, its Rollout aborted, it was rolled back. */
export type FailureReason = 'SyncFailed' | 'RolloutAborted' | 'RolledBack';
const FAILURE_REASONS: readonly FailureReason[] = ['SyncFailed', 'RolloutAborted', 'RolledBack'];

/** One commit a deployment brought: lead time is deploy time minus `committedAt`. */
export interface DeploymentCommit {
  sha: string;
  /** Committer time, RFC 3339. */
  committedAt: string;
}

/** What deployed: the Application (or standalone Rollout) `namespace/app`. */
export interface DeploymentRef {
  kind: DeploymentKind;
  namespace: string;
  app: string;
}

export interface NewDeployment extends DeploymentRef {
  /** Unique per deployment (app, revision and which deployment of it): recorded once. */
  key: string;
  environment: string;
  /** The Git commit (Applications) or the pod template hash (standalone Rollouts). */
  revision: string;
  /** '' when the revision is no Git commit. */
  repoURL: string;
  /** Committer time of `revision`. */
  commitTime?: string | undefined;
  /** When the deployment reached production (see src/delivery/dora/decide.ts). */
  deployedAt: string;
  /** When `revision` ran Synced and Healthy; unset while it never did. */
  healthyAt?: string | undefined;
  outcome: DeploymentOutcome;
  /** A return to an earlier revision: it restores, it is no change of its own. */
  rollback: boolean;
  failureReason?: FailureReason | undefined;
  failedAt?: string | undefined;
  message: string;
  commits: readonly DeploymentCommit[];
}

export interface DeploymentRecord extends NewDeployment {
  id: number;
  restoredAt?: string | undefined;
  /** The revision whose deployment restored it. */
  restoredBy?: string | undefined;
}

export interface DeploymentFilter {
  environment?: string | undefined;
  namespace?: string | undefined;
  app?: string | undefined;
  kind?: DeploymentKind | undefined;
  /** Deployed at or after (RFC 3339). */
  since?: string | undefined;
  /** Deployed at or before (RFC 3339). */
  until?: string | undefined;
}

const COLUMNS = `id, record_key, environment, kind, namespace, app, revision, repo_url, commit_time,
  deployed_at, healthy_at, outcome, is_rollback, failure_reason, failed_at, restored_at,
  restored_by, message`;

function reasonFrom(v: unknown): FailureReason | undefined {
  return typeof v === 'string' && (FAILURE_REASONS as readonly string[]).includes(v)
    ? (v as FailureReason)
    : undefined;
}

function fromRow(r: Row, commits: DeploymentCommit[]): DeploymentRecord {
  return {
    id: num(r['id']),
    key: str(r['record_key']),
    environment: str(r['environment']),
    kind: str(r['kind']) === 'Rollout' ? 'Rollout' : 'Application',
    namespace: str(r['namespace']),
    app: str(r['app']),
    revision: str(r['revision']),
    repoURL: str(r['repo_url']),
    commitTime: toTime(r['commit_time']),
    deployedAt: toTime(r['deployed_at']) ?? '',
    healthyAt: toTime(r['healthy_at']),
    outcome: str(r['outcome']) === 'Failed' ? 'Failed' : 'Succeeded',
    rollback: num(r['is_rollback']) === 1,
    failureReason: reasonFrom(r['failure_reason']),
    failedAt: toTime(r['failed_at']),
    restoredAt: toTime(r['restored_at']),
    restoredBy: r['restored_by'] == null ? undefined : str(r['restored_by']),
    message: str(r['message']),
    commits,
  };
}

function must(ms: number | null, what: string, d: NewDeployment): number {
  if (ms !== null) return ms;
  throw new RunStoreError(
    'InvalidRecord',
    `deployment ${d.kind}/${d.namespace}/${d.app}@${d.revision}`,
    `${what} is not an RFC 3339 time`,
  );
}

export class DeploymentStore {
  private readonly db: SqlDb;

  constructor(db: SqlDb) {
    this.db = db;
  }

  /** Inserts the deployment unless one with its key exists; `created` says which. */
  async record(d: NewDeployment): Promise<{ id: number; created: boolean }> {
    const deployedAt = must(toMs(d.deployedAt), 'deployedAt', d);
    return this.db.transaction(async (tx) => {
      const inserted = await tx.all(
        `INSERT INTO deployments (record_key, environment, kind, namespace, app, revision,
           repo_url, commit_time, deployed_at, healthy_at, outcome, is_rollback, failure_reason,
           failed_at, message, recorded_at)
         VALUES (${placeholders(16)})
         ON CONFLICT (record_key) DO NOTHING
         RETURNING id`,
        [
          d.key, d.environment, d.kind, d.namespace, d.app, d.revision, d.repoURL,
          toMs(d.commitTime), deployedAt, toMs(d.healthyAt), d.outcome, d.rollback ? 1 : 0,
          d.failureReason ?? null, toMs(d.failedAt), d.message, Date.now(),
        ], // prettier-ignore
      );
      const id = optNum(inserted[0]?.['id']);
      if (id === undefined) {
        const rows = await tx.all('SELECT id FROM deployments WHERE record_key = ?', [d.key]);
        return { id: num(rows[0]?.['id']), created: false };
      }
      for (const c of d.commits) {
        await tx.run(
          `INSERT INTO deployment_commits (deployment_id, sha, committed_at) VALUES (?, ?, ?)
           ON CONFLICT (deployment_id, sha) DO NOTHING`,
          [id, c.sha, must(toMs(c.committedAt), `commit ${c.sha}'s time`, d)],
        );
      }
      return { id, created: true };
    });
  }

  /** Marks a deployment failed (once: a failed one keeps its first reason and time). */
  async markFailed(
    id: number,
    reason: FailureReason,
    failedAt: string,
    message: string,
  ): Promise<boolean> {
    const n = await this.db.run(
      `UPDATE deployments SET outcome = 'Failed', failure_reason = ?, failed_at = ?, message = ?
       WHERE id = ? AND outcome <> 'Failed'`,
      [reason, toMs(failedAt), message, id],
    );
    return n > 0;
  }

  /** Notes when a deployment's revision first ran Synced and Healthy. */
  async markHealthy(id: number, healthyAt: string): Promise<boolean> {
    const n = await this.db.run(
      'UPDATE deployments SET healthy_at = ? WHERE id = ? AND healthy_at IS NULL',
      [toMs(healthyAt), id],
    );
    return n > 0;
  }

  /** Restores every open failure of the app deployed up to `at`; returns how many. */
  async restore(ref: DeploymentRef, at: string, by: string): Promise<number> {
    const ms = toMs(at);
    return this.db.run(
      `UPDATE deployments SET restored_at = ?, restored_by = ?
       WHERE kind = ? AND namespace = ? AND app = ? AND outcome = 'Failed'
         AND restored_at IS NULL AND deployed_at <= ?`,
      [ms, by, ref.kind, ref.namespace, ref.app, ms],
    );
  }

  /** The app's newest deployment (of those that ran Synced and Healthy, with `ran`). */
  async latest(
    ref: DeploymentRef,
    options: { ran?: boolean } = {},
  ): Promise<DeploymentRecord | undefined> {
    const ran = options.ran ? ' AND healthy_at IS NOT NULL' : '';
    const rows = await this.db.all(
      `SELECT ${COLUMNS} FROM deployments WHERE kind = ? AND namespace = ? AND app = ?${ran}
       ORDER BY deployed_at DESC, id DESC LIMIT 1`,
      [ref.kind, ref.namespace, ref.app],
    );
    return rows[0] ? fromRow(rows[0], []) : undefined;
  }

  /** Deployments matching `filter`, oldest first, each with its commits. */
  async list(filter: DeploymentFilter = {}): Promise<DeploymentRecord[]> {
    const conds: string[] = [];
    const params: Array<string | number> = [];
    const add = (sql: string, v: string | number | null | undefined): void => {
      if (v === undefined || v === null) return;
      conds.push(sql);
      params.push(v);
    };
    add('environment = ?', filter.environment);
    add('namespace = ?', filter.namespace);
    add('app = ?', filter.app);
    add('kind = ?', filter.kind);
    add('deployed_at >= ?', toMs(filter.since));
    add('deployed_at <= ?', toMs(filter.until));
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    const rows = await this.db.all(
      `SELECT ${COLUMNS} FROM deployments ${where} ORDER BY deployed_at, id`,
      params,
    );
    const commits = await this.commitsOf(rows.map((r) => num(r['id'])));
    return rows.map((r) => fromRow(r, commits.get(num(r['id'])) ?? []));
  }

  private async commitsOf(ids: readonly number[]): Promise<Map<number, DeploymentCommit[]>> {
    const out = new Map<number, DeploymentCommit[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      const rows = await this.db.all(
        `SELECT deployment_id, sha, committed_at FROM deployment_commits
         WHERE deployment_id IN (${placeholders(part.length)}) ORDER BY committed_at, sha`,
        part,
      );
      for (const r of rows) {
        const id = num(r['deployment_id']);
        const list = out.get(id) ?? [];
        list.push({ sha: str(r['sha']), committedAt: toTime(r['committed_at']) ?? '' });
        out.set(id, list);
      }
    }
    return out;
  }
}
