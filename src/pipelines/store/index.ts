/**
 * The run store: what is kept of PipelineRuns and TaskRuns after their pods are gone.
 *
 * - Backends: SQLite (built-in `node:sqlite`, one file; the default) or PostgreSQL
 *   (`--database-url postgres://…`), written once against a small SQL layer (sql.ts) so both
 *   behave the same; the schema is versioned (`schema_version`, schema.ts).
 * - Records (`recordRun`, `recordTask`; records.ts builds them from the objects): status,
 *   reason, times, durations, params and results (masked), steps with exit codes, attempts.
 * - Logs: `openLog(run, secrets)` gives a writer that buffers per step and writes batches in
 *   one transaction (logs.ts); `readLogs` reads a step whole or from a byte offset;
 *   `followLogs` yields chunks as they come until the step / task / run is finished (follow.ts).
 *   The CLI reads them through reader.ts (`printLogs`, `runSummary`).
 * - Masking (secrets.ts, sources.ts): the caller builds the run's `SecretSet` from
 *   `sluice.dev/secret-params` annotations, params and Secret-sourced env values; no value of it
 *   is ever stored, also when a log writes it in two pieces.
 * - Deployment records for DORA metrics (`store.deployments`, deployments.ts): kept in the same
 *   database, written by the DORA recorder, read by `sluice dora`.
 * - Retention (retention.ts): 30 days after a run finishes, 100 finished runs per namespace and
 *   pipeline, applied hourly by the controller (`openRunStore({ retention: {} })`).
 *
 * For the controller, per run:
 * 1. `store.recordRun(pipelineRunRecord(pr), secrets)` when it starts (and on every change);
 * 2. `const log = await store.openLog(ref, secrets)`; `log.write(stream, text)` as pod logs come,
 *    `log.endStep(stream, { exitCode })` when a step's container ends;
 * 3. `await log.close()`, then `recordTask` / `recordRun` with the finished status.
 * After a restart, a new writer continues each stream; `getRun(ref).streams[i].rawSize` says how
 * many bytes of the step's original output are already stored (skip them when re-reading it).
 *
 * @example
 * const secrets = runSecrets({ annotations: [pr.metadata.annotations, pipeline.metadata.annotations], params: pr.spec.params, values: await secretValues(refs, readSecret) });
 * await store.recordRun(pipelineRunRecord(pr), secrets);
 * const log = await store.openLog({ namespace, name, uid }, secrets);
 * log.write({ taskRun: 'ci-x-build', task: 'build', step: 'compile' }, 'compiling\n');
 */
export {
  DeploymentStore,
  type DeploymentCommit,
  type DeploymentFilter,
  type DeploymentKind,
  type DeploymentOutcome,
  type DeploymentRecord,
  type DeploymentRef,
  type FailureReason,
  type NewDeployment,
} from './deployments.ts';
export { formatRun, redactUrl, RunStoreError, type RunStoreReason } from './errors.ts';
export { defaultStoreUrl, openRunStore, parseDatabaseUrl, type OpenOptions } from './open.ts';
export { formatAge, LogPrinter, printLogs, runSummary, type RunSummary } from './reader.ts';
export {
  durationMs,
  pipelineRunRecord,
  statusOf,
  stepRecord,
  taskRecord,
  taskRunRecord,
} from './records.ts';
export { DEFAULT_RETENTION, retentionPolicy, selectExpired } from './retention.ts';
export { SCHEMA_VERSION } from './schema.ts';
export { MASK, SecretSet, StreamMasker } from './secrets.ts';
export {
  runSecrets,
  SECRET_PARAMS_ANNOTATION,
  secretParamNames,
  secretParamValues,
  secretRefs,
  secretValues,
  type RunSecrets,
  type SecretRef,
} from './sources.ts';
export * from './types.ts';
