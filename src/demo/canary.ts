/**
 * The demo's canary walk-through, run once the apps are Synced and Healthy: it commits a bad
 * version of the canary app (ERROR_RATE=0.5), follows the Rollout until its analysis fails and
 * the rollout aborts by itself (printing the abort message, which names the measured value, and
 * who answers afterwards: the stable version, 100 %), then commits a good version (ERROR_RATE=0)
 * and follows it through the analysis to promotion, and prints `sluice rollout get`.
 *
 * Versions count up from what Git holds (v1 -> bad v2 -> good v3; the next run v4, v5), so
 * every run commits something new. Ctrl-C ends it between two looks at the Rollout.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION, KIND } from '../api/application.ts';
import type { AnalysisRun } from '../api/analysis.ts';
import { ROLLOUT_KIND, type Rollout } from '../api/rollout.ts';
import { readTree } from '../cli/rollout/objects.ts';
import { renderRollout } from '../cli/rollout/render.ts';
import { rolloutView } from '../cli/rollout/view.ts';
import { SluiceError } from '../errors.ts';
import { REFRESH_ANNOTATION } from '../gitops/annotations.ts';
import type { Kube } from '../kube/api.ts';
import { HASH_LABEL } from '../rollouts/replicasets.ts';
import { formatDuration, type Progress } from '../util/progress.ts';
import {
  CANARY_APP,
  CANARY_NAMESPACE,
  CANARY_ROLLOUT,
  nextVersion,
  versionOf,
  withVersion,
} from './canary-samples.ts';
import { rolloutLine, shareLine } from './canary-view.ts';
import { git } from './git.ts';
import { sample } from './load.ts';

export const BAD_ERROR_RATE = 0.5;
const ROLLOUT_FILE = 'canary/rollout.yaml';

export interface CanaryContext {
  kube: Kube;
  repoDir: string;
  appNamespace: string;
  /** The canary app's stable and canary Services, as this host reaches them. */
  urls: readonly string[];
  progress: Progress;
  print: (line: string) => void;
  stopped: () => boolean;
  /** How long each phase (abort, promotion) may take. */
  timeoutMs: number;
}

export interface CanaryOutcome {
  bad: { version: string; hash: string; message: string };
  good: { version: string; hash: string };
  ms: number;
}

type Status = NonNullable<Rollout['status']>;

/** Nothing in flight: Healthy, or aborted with the traffic back on the stable version. */
const settled = (s: Status): boolean =>
  s.stableRS !== undefined &&
  (s.phase === 'Healthy' || (s.abort === true && s.canary?.weights?.canary.weight === 0));

/** The newest AnalysisRun judging the version the Rollout is moving to. */
async function currentRun(kube: Kube, ro: Rollout): Promise<AnalysisRun | undefined> {
  const hash = ro.status?.currentPodHash;
  if (!hash || hash === ro.status?.stableRS) return undefined;
  const runs = await kube.list<AnalysisRun>(API_VERSION, 'AnalysisRun', {
    namespace: CANARY_NAMESPACE,
    labelSelector: `${HASH_LABEL}=${hash}`,
  });
  return runs.items.sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  )[0];
}

/** Looks at the Rollout every half second, printing each new state, until `done`. */
async function follow(
  c: CanaryContext,
  what: string,
  done: (s: Status) => boolean,
): Promise<Rollout | undefined> {
  const deadline = Date.now() + c.timeoutMs;
  let shown = '';
  while (!c.stopped()) {
    const ro = await c.kube.get<Rollout>(
      API_VERSION,
      ROLLOUT_KIND,
      CANARY_NAMESPACE,
      CANARY_ROLLOUT,
    );
    if (ro) {
      const line = rolloutLine(ro, await currentRun(c.kube, ro));
      if (line !== shown) c.progress.detail(line);
      shown = line;
      if (ro.status && done(ro.status)) return ro;
    }
    if (Date.now() > deadline)
      throw new SluiceError(
        'DemoTimeout',
        `the canary app's Rollout ${CANARY_NAMESPACE}/${CANARY_ROLLOUT} did not ${what} within ${c.timeoutMs / 1000}s`,
        {
          hint: `\`sluice rollout get ${CANARY_ROLLOUT} -n ${CANARY_NAMESPACE}\` shows where it stands`,
        },
      );
    await sleep(500);
  }
  return undefined;
}

/** Commits the Rollout's manifest with this version and error rate, and has Sluice fetch it. */
async function commitVersion(c: CanaryContext, version: string, errorRate: number): Promise<void> {
  const file = join(c.repoDir, ROLLOUT_FILE);
  const next = withVersion(await readFile(file, 'utf8'), version, errorRate);
  if (next === undefined)
    throw new SluiceError(
      'DemoRepoEdited',
      `${file} no longer has the VERSION and ERROR_RATE lines the canary walk-through changes`,
      {
        hint: `restore them, or remove ${c.repoDir} and run the demo again for a fresh repository`,
      },
    );
  await writeFile(file, next);
  const message = `canary: ${version} (ERROR_RATE=${errorRate})`;
  await git(c.repoDir, 'commit', '-q', '-m', message, '--', ROLLOUT_FILE);
  await c.kube.mergePatch(
    {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: CANARY_APP, namespace: c.appNamespace },
    },
    { metadata: { annotations: { [REFRESH_ANNOTATION]: new Date().toISOString() } } },
  );
}

/** Who answers on the stable and canary Services now. */
async function whoAnswers(c: CanaryContext, when: string): Promise<void> {
  // kube-proxy on the node applies a Service's new endpoints within about a second.
  await sleep(1000);
  const s = await sample(c.urls, 20);
  c.progress.detail(`${when}: ${shareLine(s)} answers on web-stable and web-canary`);
}

export async function canaryWalkthrough(c: CanaryContext): Promise<CanaryOutcome | undefined> {
  const started = Date.now();
  const before = await follow(c, 'settle', settled);
  const stableHash = before?.status?.stableRS;
  if (!stableHash) return undefined;
  // An earlier run stopped after an abort leaves an aborted version: not the one to wait for.
  const seen = new Set([stableHash, before.status?.currentPodHash]);
  const bad = nextVersion(versionOf(await readFile(join(c.repoDir, ROLLOUT_FILE), 'utf8')));
  const good = nextVersion(bad);

  c.progress.step(
    `canary: committing ${bad} of "${CANARY_ROLLOUT}", which fails half its requests (ERROR_RATE=${BAD_ERROR_RATE})`,
  );
  await commitVersion(c, bad, BAD_ERROR_RATE);
  const aborted = await follow(
    c,
    `abort ${bad}`,
    (s) => !seen.has(s.currentPodHash) && s.abort === true && settled(s),
  );
  const badHash = aborted?.status?.currentPodHash;
  if (!aborted || !badHash) return undefined;

  const message = aborted.status?.message ?? '';
  c.progress.step(`the analysis failed, and the rollout aborted by itself: ${message}`);
  await whoAnswers(c, 'traffic back on the stable version');

  c.progress.step(`canary: committing ${good}, which fails nothing (ERROR_RATE=0)`);
  await commitVersion(c, good, 0);
  const promoted = await follow(
    c,
    `promote ${good}`,
    (s) => s.phase === 'Healthy' && s.currentPodHash !== badHash && s.stableRS === s.currentPodHash,
  );
  const goodHash = promoted?.status?.stableRS;
  if (!goodHash) return undefined;
  c.progress.step(
    `the analysis passed: ${good} was promoted and is the stable version (walk-through took ${formatDuration(Date.now() - started)})`,
  );
  await whoAnswers(c, 'after the promotion');
  const tree = await readTree(c.kube, CANARY_NAMESPACE, CANARY_ROLLOUT);
  c.print(`\n$ sluice rollout get ${CANARY_ROLLOUT} -n ${CANARY_NAMESPACE}`);
  c.print(renderRollout(rolloutView(tree), new Date()));
  return {
    bad: { version: bad, hash: badHash, message },
    good: { version: good, hash: goodHash },
    ms: Date.now() - started,
  };
}
