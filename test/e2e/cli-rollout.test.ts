/**
 * `sluice rollout ...` against the dev cluster, with no Rollout controller: each test creates a
 * Rollout and its ReplicaSets by hand (owned, labelled and annotated as a controller would),
 * plays the controller's part by writing status, runs the CLI as a person would and reads the
 * objects back to check that each command wrote what Argo Rollouts' plugin writes.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import type { Rollout, RolloutStatus } from '../../src/api/rollout.ts';
import type { ReplicaSet } from '../../src/cli/rollout/objects.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('ro');
const API = 'sluice.dev/v1alpha1';
const cliArgs = (args: string[]): string[] => [
  'bin/sluice.js',
  'rollout',
  ...args,
  '--kubeconfig',
  kubeconfigPath(),
  '-n',
  ns(),
];
const env = { ...process.env, NO_COLOR: '1' };
const sluice = (...args: string[]) =>
  execFile(process.execPath, cliArgs(args), { timeoutMs: 60_000, env });

beforeAll(async () => {
  await installCrds(await kube(), silentProgress);
});

const template = (name: string, image: string, hash?: string) => ({
  metadata: { labels: { app: name, ...(hash ? { 'rollouts-pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'app', image }] },
});

async function createRollout(name: string, image: string): Promise<Rollout> {
  return (await kube()).create<Rollout>({
    apiVersion: API,
    kind: 'Rollout',
    metadata: { name, namespace: ns() },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: template(name, image),
      strategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }] } },
    },
  });
}

/** A ReplicaSet as the controller makes one: owned, hash-labelled, revision-annotated. */
async function createReplicaSet(
  ro: Rollout,
  revision: number,
  image: string,
  replicas = 1,
): Promise<ReplicaSet> {
  const hash = `h${revision}x`;
  const name = ro.metadata.name;
  return (await kube()).create<ReplicaSet>({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${name}-${hash}`,
      namespace: ns(),
      labels: { app: name, 'rollouts-pod-template-hash': hash },
      annotations: { 'rollout.argoproj.io/revision': String(revision) },
      ownerReferences: [
        { apiVersion: API, kind: 'Rollout', name, uid: ro.metadata.uid ?? '', controller: true },
      ],
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: name, 'rollouts-pod-template-hash': hash } },
      template: template(name, image, hash),
    },
  });
}

const ref = (name: string) => ({
  apiVersion: API,
  kind: 'Rollout',
  metadata: { name, namespace: ns() },
});

/** Plays the controller: writes the Rollout's status. */
async function setStatus(name: string, status: RolloutStatus): Promise<void> {
  await (await kube()).mergePatch(ref(name), { status }, { subresource: 'status' });
}

async function read(name: string): Promise<Rollout> {
  const ro = await (await kube()).get<Rollout>(API, 'Rollout', ns(), name);
  if (!ro) throw new Error(`Rollout ${name} is gone`);
  return ro;
}

const paused = (generation: number | undefined): RolloutStatus => ({
  phase: 'Paused',
  message: 'CanaryPauseStep',
  observedGeneration: String(generation ?? 1),
  currentPodHash: 'h2x',
  stableRS: 'h1x',
  currentStepIndex: 1,
  controllerPause: true,
  pauseConditions: [{ reason: 'CanaryPauseStep', startTime: new Date().toISOString() }],
});

describe('sluice rollout operations', () => {
  it('promote, pause, promote --full, abort, retry and restart write what the controller reads', async () => {
    const ro = await createRollout('web', 'localhost:5000/sample-app:v2');
    await setStatus('web', paused(ro.metadata.generation));

    const promoted = await sluice('promote', 'web');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stderr).toContain('promoted past CanaryPauseStep');
    let now = await read('web');
    expect(now.status?.pauseConditions).toBeUndefined();
    expect(now.status?.controllerPause).toBe(true);
    expect(now.spec.paused).toBeUndefined();

    // Promoted, the controller has not moved on yet: nothing more to do, not an error.
    const again = await sluice('promote', 'web');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already promoted');

    // The controller moved on: not paused any more.
    await setStatus('web', { controllerPause: false, phase: 'Progressing' });
    const notPaused = await sluice('promote', 'web');
    expect(notPaused.code).toBe(1);
    expect(notPaused.stderr).toContain(`Rollout/${ns()}/web: nothing to promote, it is not paused`);

    expect((await sluice('pause', 'web')).code).toBe(0);
    expect((await read('web')).spec.paused).toBe(true);
    const unpaused = await sluice('promote', 'web');
    expect(unpaused.code, unpaused.stderr).toBe(0);
    expect((await read('web')).spec.paused).toBe(false);

    const full = await sluice('promote', 'web', '--full');
    expect(full.code, full.stderr).toBe(0);
    expect((await read('web')).status?.promoteFull).toBe(true);

    const before = Date.now();
    const aborted = await sluice('abort', 'web');
    expect(aborted.code, aborted.stderr).toBe(0);
    now = await read('web');
    expect(now.status?.abort).toBe(true);
    expect(now.status?.abortedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(now.status?.abortedAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    // Written under the CLI's own field manager.
    expect(now.metadata.managedFields?.some((f) => JSON.stringify(f).includes('sluice-cli'))).toBe(
      true,
    );

    const retried = await sluice('retry', 'web');
    expect(retried.code, retried.stderr).toBe(0);
    expect((await read('web')).status?.abort).toBe(false);
    const retryAgain = await sluice('retry', 'web');
    expect(retryAgain.code).toBe(1);
    expect(retryAgain.stderr).toContain('nothing to retry');

    const restarted = await sluice('restart', 'web');
    expect(restarted.code, restarted.stderr).toBe(0);
    const at = Date.parse((await read('web')).spec.restartAt ?? '');
    expect(Math.abs(at - Date.now())).toBeLessThan(30_000);
  });

  it('undo goes back to a revision, set-image makes a new one', async () => {
    const ro = await createRollout('shop', 'localhost:5000/sample-app:v3');
    await createReplicaSet(ro, 1, 'localhost:5000/sample-app:v1', 0);
    await createReplicaSet(ro, 2, 'localhost:5000/sample-app:v2', 0);
    await createReplicaSet(ro, 3, 'localhost:5000/sample-app:v3', 2);
    await setStatus('shop', { phase: 'Healthy', currentPodHash: 'h3x', stableRS: 'h3x' });
    const image = async (): Promise<string | undefined> => {
      const t = (await read('shop')).spec.template as ReturnType<typeof template>;
      return t.spec.containers[0]?.image;
    };

    const undone = await sluice('undo', 'shop');
    expect(undone.code, undone.stderr).toBe(0);
    expect(undone.stderr).toContain('goes back to revision 2');
    expect(await image()).toBe('localhost:5000/sample-app:v2');
    const labels = ((await read('shop')).spec.template as ReturnType<typeof template>).metadata
      .labels;
    expect(labels).toEqual({ app: 'shop' });

    const toOne = await sluice('undo', 'shop', '--to-revision', '1');
    expect(toOne.code, toOne.stderr).toBe(0);
    expect(await image()).toBe('localhost:5000/sample-app:v1');

    const gone = await sluice('undo', 'shop', '--to-revision', '9');
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain('revision 9 not found');
    expect(gone.stderr).toContain('revisions: 3, 2, 1');

    const set = await sluice('set-image', 'shop', 'app=localhost:5000/sample-app:v4');
    expect(set.code, set.stderr).toBe(0);
    expect(await image()).toBe('localhost:5000/sample-app:v4');
    const noSuch = await sluice('set-image', 'shop', 'db=postgres:16');
    expect(noSuch.code).toBe(1);
    expect(noSuch.stderr).toContain('no container named db');
  });

  it('a Rollout that does not exist is exit 3 for every command', async () => {
    for (const args of [
      ['get', 'nope'],
      ['get', 'nope', '-w'],
      ['promote', 'nope'],
      ['abort', 'nope'],
      ['retry', 'nope'],
      ['pause', 'nope'],
      ['restart', 'nope'],
      ['undo', 'nope'],
      ['set-image', 'nope', 'app=x:1'],
    ]) {
      const r = await sluice(...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`Rollout/${ns()}/nope not found`);
    }
  });
});

describe('sluice rollout list and get', () => {
  it('get shows revisions with their ReplicaSets and pods; -o json; list -A', async () => {
    const ro = await createRollout('api', 'localhost:5000/sample-app:v2');
    await createReplicaSet(ro, 1, 'localhost:5000/sample-app:v1', 2);
    await createReplicaSet(ro, 2, 'localhost:5000/sample-app:v2', 1);
    await setStatus('api', { ...paused(ro.metadata.generation), replicas: 3, readyReplicas: 3 });

    // The ReplicaSet controller makes the pods; kwok nodes run them.
    const text = await eventually('three ready pods in the picture', async () => {
      const r = await sluice('get', 'api');
      expect(r.code, r.stderr).toBe(0);
      return (r.stdout.match(/Pod +Running +\S+ +ready 1\/1/g) ?? []).length === 3
        ? r.stdout
        : undefined;
    });
    expect(text).toMatch(/Status:\s+Paused {2}CanaryPauseStep/);
    expect(text).toMatch(/Step:\s+1\/3/);
    expect(text).toMatch(/Set weight:\s+20/);
    expect(text).toMatch(/localhost:5000\/sample-app:v1 \(stable\)/);
    expect(text).toMatch(/revision 2\n.*api-h2x +ReplicaSet +\w+ +\S+ +canary/);
    expect(text).toMatch(/api-h1x +ReplicaSet +Healthy +\S+ +stable, 2\/2 ready/);

    const json = await sluice('get', 'api', '-o', 'json');
    expect(json.code, json.stderr).toBe(0);
    const view = JSON.parse(json.stdout) as {
      phase: string;
      step: { index: number; count: number };
      revisions: Array<{ revision: number; replicaSets: Array<{ roles: string[] }> }>;
      rollout: Rollout;
    };
    expect(view.phase).toBe('Paused');
    expect(view.step).toEqual({ index: 1, count: 3 });
    expect(view.revisions.map((r) => [r.revision, r.replicaSets[0]?.roles])).toEqual([
      [2, ['canary']],
      [1, ['stable']],
    ]);
    expect(view.rollout.metadata.uid).toBe(ro.metadata.uid);

    const list = await sluice('list');
    expect(list.stdout).toMatch(/^NAME +STRATEGY +STATUS +STEP +SET-WEIGHT/);
    expect(list.stdout).toMatch(/\napi +Canary +Paused +1\/3 +20 +3\/2/);
    const all = await execFile(
      process.execPath,
      ['bin/sluice.js', 'rollout', 'list', '-A', '--kubeconfig', kubeconfigPath()],
      { timeoutMs: 60_000, env },
    );
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`\\n${ns()} +api +Canary`));
    const listJson = JSON.parse((await sluice('list', '-o', 'json')).stdout) as Rollout[];
    expect(listJson.map((r) => r.metadata.name)).toEqual(['api']);
  });

  it('get --watch draws again when the status changes; Ctrl-C ends it with exit 0', async () => {
    const ro = await createRollout('live', 'localhost:5000/sample-app:v2');
    await setStatus('live', {
      phase: 'Progressing',
      observedGeneration: String(ro.metadata.generation),
    });
    const child = spawn(process.execPath, cliArgs(['get', 'live', '--watch']), { env });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      await eventually('the first picture', () =>
        Promise.resolve(out.includes('Progressing') || undefined),
      );
      await setStatus('live', { ...paused(ro.metadata.generation) });
      await eventually('a new picture', () =>
        Promise.resolve(/Status:\s+Paused {2}CanaryPauseStep/.test(out) || undefined),
      );
      expect(out.match(/^Name: /gm)?.length).toBe(2);
      await setStatus('live', {
        currentStepIndex: 2,
        pauseConditions: null,
      } as unknown as RolloutStatus);
      await eventually('step 2 drawn', () =>
        Promise.resolve(/Step:\s+2\/3/.test(out) || undefined),
      );
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('get --watch --exit-on-complete ends with the rollout: 0 Healthy, 1 Degraded', async () => {
    const ro = await createRollout('done', 'localhost:5000/sample-app:v2');
    const generation = String(ro.metadata.generation);
    for (const [phase, code] of [
      ['Healthy', 0],
      ['Degraded', 1],
    ] as const) {
      await setStatus('done', { phase: 'Progressing', observedGeneration: generation });
      const run = execFile(process.execPath, cliArgs(['get', 'done', '-w', '--exit-on-complete']), {
        timeoutMs: 30_000,
        env,
      });
      await new Promise((r) => setTimeout(r, 1500));
      await setStatus('done', { phase, message: `now ${phase}`, observedGeneration: generation });
      const r = await run;
      expect(r.timedOut).toBe(false);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toContain(`now ${phase}`);
    }
  });
});
