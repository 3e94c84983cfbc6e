/**
 * Bad input gets a clear condition and loses nothing: malformed YAML, duplicates, unknown kinds,
 * a missing revision, an unreachable repository, objects that fail dry-run (nothing of that
 * revision applied), a missing chart, an empty render (nothing pruned).
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  startController,
  syncedHealthy,
  waitApp,
  type TestRepo,
} from './gitops-harness.ts';

const ns = useNamespace('errors');

async function runApp(
  repo: TestRepo,
  extra: Partial<Application['spec']['source']> = {},
  path = 'app',
): Promise<string> {
  const k = await kube();
  await startController(k, ns());
  const name = await createApp(k, ns(), {
    source: { repoURL: repo.url, targetRevision: 'main', path, ...extra },
    syncPolicy: { automated: { prune: true, selfHeal: true } },
  });
  return name;
}

async function readyFailure(
  name: string,
): Promise<{ reason: string; message: string; app: Application }> {
  const k = await kube();
  const app = await waitApp(
    k,
    ns(),
    name,
    'a Ready=False condition',
    (a) => getCondition(a.status?.conditions, 'Ready')?.status === 'False',
  );
  const c = getCondition(app.status?.conditions, 'Ready');
  return { reason: c?.reason ?? '', message: c?.message ?? '', app };
}

describe('bad input', () => {
  it('malformed YAML: RenderFailed naming the file and line, nothing applied', async () => {
    const repo = await createRepo({
      'app/good.yaml': configMap('good', { a: '1' }),
      'app/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n data: x\n',
    });
    const { reason, message, app } = await readyFailure(await runApp(repo));
    expect(reason).toBe('RenderFailed');
    expect(message).toMatch(/bad\.yaml/);
    // Events are recorded on the side; give the request a moment.
    await eventually('a RenderFailed event', async () => {
      const events = await (
        await kube()
      ).list<KubeObject & { reason?: string; type?: string }>('v1', 'Event', { namespace: ns() });
      return events.items.some((e) => e.type === 'Warning' && e.reason === 'RenderFailed')
        ? true
        : undefined;
    });
    expect(message).toMatch(/line \d+|:\d+:\d+/);
    expect(getCondition(app.status?.conditions, 'Stalled')?.status).toBe('True');
    expect(await (await kube()).get('v1', 'ConfigMap', ns(), 'good')).toBeUndefined();
  });

  it('duplicate objects and unknown kinds: PreflightFailed listing every problem, nothing applied', async () => {
    const repo = await createRepo({
      'app/a.yaml': configMap('dup', { a: '1' }),
      'app/b.yaml': configMap('dup', { a: '2' }),
      'app/c.yaml': configMap('fine', { a: '3' }),
      'app/d.yaml': 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n',
    });
    const { reason, message } = await readyFailure(await runApp(repo));
    expect(reason).toBe('PreflightFailed');
    expect(message).toContain(`ConfigMap/${ns()}/dup: defined twice`);
    expect(message).toContain('kind Gadget in example.com/v1');
    expect(await (await kube()).get('v1', 'ConfigMap', ns(), 'fine')).toBeUndefined();
  });

  it('a revision that does not exist: SourceFailed naming it', async () => {
    const repo = await createRepo({ 'app/a.yaml': configMap('a', { a: '1' }) });
    const { reason, message } = await readyFailure(
      await runApp(repo, { targetRevision: 'relese-1' }),
    );
    expect(reason).toBe('SourceFailed');
    expect(message).toContain('relese-1');
  });

  it('an unreachable repository: SourceFailed, retried', async () => {
    const repo = await createRepo({});
    const { reason, message, app } = await readyFailure(
      await runApp(repo, { repoURL: 'http://127.0.0.1:9/nothing.git' }),
    );
    expect(reason).toBe('SourceFailed');
    expect(message).toMatch(/127\.0\.0\.1:9/);
    expect(getCondition(app.status?.conditions, 'Stalled')?.status).toBe('False');
  });

  it('a malformed repository URL: SourceFailed saying so, Stalled until the spec changes', async () => {
    const repo = await createRepo({});
    const { reason, message, app } = await readyFailure(
      await runApp(repo, { repoURL: 'htp:/not a url' }),
    );
    expect(reason).toBe('SourceFailed');
    expect(message).toMatch(/not a url/);
    expect(getCondition(app.status?.conditions, 'Stalled')?.status).toBe('True');
  });

  it('an object that fails dry-run: the sync fails and no object of that revision is applied', async () => {
    const repo = await createRepo({
      'app/ok.yaml': configMap('ok', { a: '1' }),
      'app/bad.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: "three"\n  selector: { matchLabels: { a: b } }\n  template: { metadata: { labels: { a: b } }, spec: { containers: [{ name: c, image: nginx }] } }\n',
    });
    const { reason, message, app } = await readyFailure(await runApp(repo));
    expect(reason).toBe('SyncFailed');
    expect(message).toContain(`Deployment/${ns()}/bad`);
    expect(message).toContain('nothing was applied');
    expect(app.status?.operationState?.phase).toBe('Failed');
    expect(await (await kube()).get('v1', 'ConfigMap', ns(), 'ok')).toBeUndefined();
  });

  it('a missing Helm chart: RenderFailed with helm’s reason', async () => {
    const repo = await createRepo({ 'app/README.md': 'no chart here\n' });
    const { reason, message } = await readyFailure(
      await runApp(repo, { helm: { valueFiles: ['values.yaml'] } }),
    );
    expect(reason).toBe('RenderFailed');
    expect(message).toMatch(/Chart\.yaml|chart/i);
  });

  it('an empty render never prunes: the objects stay and a condition says why', async () => {
    const k = await kube();
    const repo = await createRepo({ 'app/a.yaml': configMap('keep', { a: '1' }) });
    const name = await runApp(repo);
    await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    await repo.commit({ 'app/a.yaml': null, 'app/README.md': 'emptied by mistake\n' });
    await k.mergePatch(
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: ns() },
      },
      { metadata: { annotations: { 'sluice.dev/refresh': 'now' } } },
    );
    const { reason, message } = await readyFailure(name);
    expect(reason).toBe('EmptyRender');
    expect(message).toContain('refusing to prune');
    expect(await k.get<KubeObject>('v1', 'ConfigMap', ns(), 'keep')).toBeDefined();
  });

  it('an object another Application manages is not taken over: the sync fails naming that app', async () => {
    const k = await kube();
    const repo = await createRepo({
      'one/cm.yaml': configMap('shared', { owner: 'one' }),
      'two/cm.yaml':
        configMap('shared', { owner: 'two' }) + '---\n' + configMap('mine', { a: '1' }),
    });
    await startController(k, ns());
    const first = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'one' },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), first, 'first synced', syncedHealthy);
    const second = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'two' },
      syncPolicy: { automated: {} },
    });
    const { reason, message } = await readyFailure(second);
    expect(reason).toBe('SyncFailed');
    expect(message).toContain(`is managed by Application ${ns()}/${first}`);
    const shared = await k.get<KubeObject & { data?: Record<string, string> }>(
      'v1',
      'ConfigMap',
      ns(),
      'shared',
    );
    expect(shared?.data?.['owner']).toBe('one');
    expect(await k.get('v1', 'ConfigMap', ns(), 'mine')).toBeUndefined();
  });
});
