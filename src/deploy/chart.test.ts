/**
 * What a reviewer checks in Sluice's chart, on `helm template` output: the controller's pod is
 * locked down and sized, leader election is on, RBAC is as narrow as the job allows, bad values
 * fail with a readable message, and the CRDs and deploy/install.yaml never drift from their source.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1Deployment, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import {
  CHART_CRDS_DIR,
  CHART_DIR,
  CRDS_DIR,
  helm,
  INSTALL_FILE,
  renderInstallManifest,
  ROOT,
  templateArgs,
  templateChart,
} from './chart.ts';
import { rulesOf } from './rbac.ts';

const NS = 'sluice-system';
const SA = { kind: 'ServiceAccount', name: 'sluice-controller', namespace: NS };

let defaults: KubeObject[];

beforeAll(async () => {
  defaults = (await templateChart()).objects;
});

function one<T>(objects: readonly KubeObject[], kind: string, name?: string): T {
  const found = objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
  expect(
    found.map((o) => o.metadata.name),
    `one ${kind}`,
  ).toHaveLength(1);
  return found[0] as T;
}

const deploymentOf = (objects: readonly KubeObject[]): V1Deployment =>
  one<V1Deployment>(objects, 'Deployment');

function container(objects: readonly KubeObject[]) {
  const c = deploymentOf(objects).spec?.template.spec?.containers[0];
  if (!c) throw new Error('the Deployment has no container');
  return c;
}

/** Megabytes of a memory quantity (`1Gi`, `384Mi`). */
function mebibytes(q: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  if (!m) throw new Error(`unexpected quantity ${q}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

describe('the chart', () => {
  it('passes helm lint --strict, in both RBAC modes', async () => {
    for (const set of [[], ['rbac.clusterWide=false', 'rbac.namespaces={team-a}']]) {
      const r = await helm(['lint', '--strict', CHART_DIR, ...set.flatMap((s) => ['--set', s])]);
      expect(r.stdout + r.stderr, set.join(' ')).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.code).toBe(0);
    }
  });

  it('has the appVersion of package.json', async () => {
    const chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as {
      apiVersion: string;
      appVersion: string;
    };
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe(pkg.version);
    expect(container(defaults).image).toBe(`sluice/sluice:${pkg.version}`);
  });
});

describe('the controller Deployment', () => {
  it('runs two replicas with leader election on, in the release namespace', () => {
    const d = deploymentOf(defaults);
    expect(d.spec?.replicas).toBe(2);
    const args = container(defaults).args ?? [];
    expect(args[0]).toBe('controller');
    expect(args).toContain(`--namespace=${NS}`);
    expect(args).toContain('--lease-duration=15s');
    expect(args).not.toContain('--no-leader-election');
  });

  it('probes /healthz on the port it listens on (all interfaces), and names a metrics port', () => {
    const c = container(defaults);
    expect(c.args).toContain('--listen=:8080');
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    for (const probe of [c.livenessProbe, c.readinessProbe])
      expect(probe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  it('is sized from the benchmarks: heap from values, a memory limit above heap and render worker', () => {
    const c = container(defaults);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    expect(env['SLUICE_CONTROLLER_HEAP_MB']).toBe('192');
    expect(env['SLUICE_RENDER_HEAP_MB']).toBe('512');
    expect(c.resources?.requests).toEqual({ cpu: '250m', memory: '384Mi' });
    const limit = mebibytes(String(c.resources?.limits?.['memory']));
    // ~240 MB resident for 1000 apps (docs/benchmarks.md) plus one render worker at its cap.
    expect(limit).toBeGreaterThanOrEqual(240 + 512);
    expect(c.resources?.limits?.['cpu']).toBeUndefined();
  });

  it('takes the heap from values', async () => {
    const { objects } = await templateChart({ set: ['controller.heapMb=1024'] });
    const env = container(objects).env?.find((e) => e.name === 'SLUICE_CONTROLLER_HEAP_MB');
    expect(env?.value).toBe('1024');
  });

  it('runs locked down: non-root 65532, read-only root, no privilege escalation, no capabilities', () => {
    const pod = deploymentOf(defaults).spec?.template.spec;
    expect(pod?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container(defaults).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('writes only to emptyDir volumes: the work dir, TMPDIR and HOME are mounted ones', () => {
    const pod = deploymentOf(defaults).spec?.template.spec;
    const c = container(defaults);
    const emptyDirs = new Set((pod?.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
    const mounted = (c.volumeMounts ?? [])
      .filter((m) => emptyDirs.has(m.name))
      .map((m) => m.mountPath);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    const workDir = c.args?.find((a) => a.startsWith('--work-dir='))?.slice('--work-dir='.length);
    for (const path of [workDir, env['TMPDIR'], env['HOME']]) expect(mounted).toContain(path);
    expect((pod?.volumes ?? []).every((v) => v.emptyDir?.sizeLimit)).toBe(true);
  });

  it('prefers spreading replicas over nodes, and selects no node unless told', async () => {
    const pod = deploymentOf(defaults).spec?.template.spec;
    const term = pod?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    expect(term?.[0]?.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(term?.[0]?.podAffinityTerm.labelSelector?.matchLabels).toEqual(
      deploymentOf(defaults).spec?.selector.matchLabels,
    );
    expect(pod?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toBe(
      undefined,
    );
    expect(pod?.nodeSelector).toBeUndefined();
    const { objects } = await templateChart({
      set: ['tolerations[0].key=sluice.dev/real-node,tolerations[0].operator=Exists'],
      setString: ['nodeSelector.sluice\\.dev/real-node=true'],
    });
    const placed = deploymentOf(objects).spec?.template.spec;
    expect(placed?.nodeSelector).toEqual({ 'sluice.dev/real-node': 'true' });
    expect(placed?.tolerations).toEqual([{ key: 'sluice.dev/real-node', operator: 'Exists' }]);
  });

  it('has a PodDisruptionBudget keeping one replica, and a metrics Service, selecting its pods', async () => {
    const labels = deploymentOf(defaults).spec?.template.metadata?.labels ?? {};
    const pdb = one<V1PodDisruptionBudget>(defaults, 'PodDisruptionBudget');
    expect(pdb.spec?.minAvailable).toBe(1);
    expect(labels).toMatchObject(pdb.spec?.selector?.matchLabels ?? { none: 'x' });
    const svc = one<V1Service>(defaults, 'Service');
    expect(labels).toMatchObject(svc.spec?.selector ?? { none: 'x' });
    expect(svc.spec?.ports).toEqual([
      { name: 'http-metrics', port: 8080, targetPort: 'http', protocol: 'TCP' },
    ]);
    // One replica: a PDB of minAvailable 1 would block every drain.
    const single = await templateChart({
      set: ['controller.replicas=1', 'controller.leaderElection=false'],
    });
    expect(single.objects.filter((o) => o.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(container(single.objects).args).toContain('--no-leader-election');
  });
});

describe('the CRDs and deploy/install.yaml', () => {
  it("the chart's copy of the CRDs is deploy/crds, byte for byte (run `npm run gen:crds`)", async () => {
    const files = (await readdir(CRDS_DIR)).sort();
    expect((await readdir(CHART_CRDS_DIR)).sort()).toEqual(files);
    for (const f of files)
      expect(await readFile(join(CHART_CRDS_DIR, f), 'utf8'), f).toBe(
        await readFile(join(CRDS_DIR, f), 'utf8'),
      );
  });

  it('renders each CRD of deploy/crds, kept on uninstall unless crds.keep=false', async () => {
    const files = (await readdir(CRDS_DIR)).filter((f) => f.endsWith('.sluice.dev.yaml')).sort();
    const want = await Promise.all(
      files.map(async (f) => parse(await readFile(join(CRDS_DIR, f), 'utf8')) as KubeObject),
    );
    const crds = (objects: KubeObject[]): KubeObject[] =>
      objects
        .filter((o) => o.kind === 'CustomResourceDefinition')
        .sort((a, b) => `${a.metadata.name}.yaml`.localeCompare(`${b.metadata.name}.yaml`));
    const rendered = crds(defaults);
    expect(rendered.map((c) => `${c.metadata.name}.yaml`)).toEqual(files);
    for (const [i, crd] of rendered.entries()) {
      const { ['helm.sh/resource-policy']: policy, ...annotations } =
        crd.metadata.annotations ?? {};
      expect(policy).toBe('keep');
      expect({ ...crd, metadata: { ...crd.metadata, annotations } }).toEqual(want[i]);
    }
    const notKept = await templateChart({ set: ['crds.keep=false'] });
    expect(crds(notKept.objects)).toEqual(want);
    const none = await templateChart({ set: ['crds.install=false'] });
    expect(crds(none.objects)).toEqual([]);
  });

  it('renders the promotion approval policy and its binding with the CRDs', () => {
    const policies = defaults
      .filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'))
      .map((o) => `${o.kind}/${o.metadata.name}`);
    expect(policies.sort()).toEqual([
      'ValidatingAdmissionPolicy/sluice-promotion-approvals',
      'ValidatingAdmissionPolicyBinding/sluice-promotion-approvals',
    ]);
  });

  it('deploy/install.yaml is a fresh render of the chart (run `npm run gen:install`)', async () => {
    expect(await readFile(INSTALL_FILE, 'utf8')).toBe(await renderInstallManifest());
  });

  it('deploy/install.yaml creates its namespace first', async () => {
    const { objects } = await templateChart({ set: ['createNamespace=true'] });
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: NS } });
    expect(defaults.filter((o) => o.kind === 'Namespace')).toEqual([]);
  });
});

describe('values that fail, and say why', () => {
  const cases: Array<{ set: string[]; message: string }> = [
    { set: ['controller.replicas=two'], message: "at '/controller/replicas': got string, want" },
    { set: ['controller.logLevel=loud'], message: "at '/controller/logLevel': value must be one" },
    { set: ['controler.replicas=2'], message: "additional properties 'controler' not allowed" },
    { set: ['controller.heapMb=8'], message: "at '/controller/heapMb': minimum" },
    { set: ['resources.limits.memory=lots'], message: "at '/resources/limits/memory'" },
    { set: ['image.pullPolicy=Sometimes'], message: "at '/image/pullPolicy'" },
    {
      set: ['controller.replicas=3', 'controller.leaderElection=false'],
      message:
        'controller.replicas is 3 but controller.leaderElection is false: only one controller may reconcile without the Lease',
    },
    {
      set: ['rbac.clusterWide=false'],
      message:
        'rbac.clusterWide is false but rbac.namespaces is empty: list the namespaces Applications deploy into',
    },
    {
      set: ['rbac.clusterWide=false', 'rbac.namespaces={Team_A}'],
      message: "at '/rbac/namespaces/0': 'Team_A' does not match pattern",
    },
  ];
  it.each(cases)('$set', async ({ set, message }) => {
    const r = await helm(templateArgs({ set }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });
});

describe('RBAC', () => {
  it('never grants `*` verbs, nor escalate, bind or deletecollection by default; impersonate only on ServiceAccounts', async () => {
    const namespaced = await templateChart({
      set: ['rbac.clusterWide=false', 'rbac.namespaces={team-a}'],
    });
    for (const objects of [defaults, namespaced.objects]) {
      const rules = rulesOf(objects, SA);
      const verbs = new Set(rules.flatMap(({ rule }) => rule.verbs));
      for (const v of ['*', 'escalate', 'bind', 'deletecollection'])
        expect(verbs.has(v), v).toBe(false);
      const impersonating = rules.filter(({ rule }) => rule.verbs.includes('impersonate'));
      expect(impersonating.length).toBeGreaterThan(0);
      for (const { rule } of impersonating) {
        expect(rule.verbs).toEqual(['impersonate']);
        expect(rule.resources).toEqual(['serviceaccounts']);
      }
    }
    const noImpersonation = await templateChart({ set: ['rbac.impersonate=false'] });
    expect(rulesOf(noImpersonation.objects, SA).flatMap(({ rule }) => rule.verbs)).not.toContain(
      'impersonate',
    );
    const escalate = await templateChart({ set: ['rbac.escalate=true'] });
    expect(rulesOf(escalate.objects, SA).flatMap(({ rule }) => rule.verbs)).toEqual(
      expect.arrayContaining(['escalate', 'bind']),
    );
  });

  it('gives nothing to any subject but the controller', () => {
    for (const o of defaults.filter((x) => x.kind.endsWith('RoleBinding'))) {
      expect((o as KubeObject & { subjects: unknown[] }).subjects).toEqual([
        { kind: 'ServiceAccount', name: SA.name, namespace: NS },
      ]);
    }
  });
});
