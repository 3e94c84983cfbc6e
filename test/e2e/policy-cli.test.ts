/**
 * Policy admission as a user sets it up: `sluice controller --admission-listen 127.0.0.1:PORT`
 * (its own process) registers its webhook; `kubectl apply` of a violating Pod is refused by the
 * API server with the policy's message, a compliant one is created, and an invalid policy is
 * refused at `kubectl apply`. The webhook is limited to this test's namespace
 * (`--admission-namespace`) and set to Ignore, and deleted afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installCrds } from '../../src/api/install.ts';
import { CLUSTER_POLICY_KIND, POLICY_API_VERSION } from '../../src/api/policy.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, kubeconfigPath, uniqueName, useNamespace } from './harness.ts';
import { kubectl } from './install-harness.ts';

const ns = useNamespace('pol-cli');
let child: ChildProcess | undefined;
let dir = '';
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
  child = undefined;
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const podYaml = (name: string, namespace: string, labels: string): string => `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${namespace}, labels: { ${labels} } }
spec:
  containers: [{ name: main, image: busybox:1.36, command: [sleep, '3600'] }]
`;

describe('sluice controller --admission-listen', () => {
  it('kubectl apply: a violating Pod and an invalid policy are refused with clear messages; a good Pod is created', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const ctrlNs = uniqueName('pol-cli-ctl');
    const policy = uniqueName('require-team');
    cleanups.push(() =>
      k.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ctrlNs } }),
    );
    cleanups.push(() =>
      k.delete({
        apiVersion: POLICY_API_VERSION,
        kind: CLUSTER_POLICY_KIND,
        metadata: { name: policy },
      }),
    );
    // Deleted last (cleanups run in reverse): a webhook outliving its server.
    cleanups.unshift(() =>
      k.delete({
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: `sluice-policy-${ctrlNs}` },
      }),
    );
    const created = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: ${policy} }
spec:
  validationFailureAction: Enforce
  rules:
    - name: team-label
      match: { any: [{ resources: { kinds: [Pod], namespaces: [${ns()}] } }] }
      validate:
        message: 'pods need a "team" label'
        pattern: { metadata: { labels: { team: '?*' } } }
`,
    );
    expect(created.stderr).toBe('');

    dir = await mkdtemp(join(tmpdir(), 'sluice-pol-cli-'));
    const port = await freePort();
    let log = '';
    child = spawn(
      process.execPath,
      [
        'bin/sluice.js',
        'controller',
        '--kubeconfig',
        kubeconfigPath(),
        '--namespace',
        ctrlNs,
        '--app-namespace',
        ctrlNs,
        '--destination-namespace',
        ctrlNs,
        ...['--no-rollouts', '--no-pipelines', '--no-dora', '--no-notifications'],
        ...['--no-image-automation', '--no-promotions', '--no-triggers', '--no-sealed-secrets'],
        '--listen',
        'off',
        '--work-dir',
        join(dir, 'work'),
        '--admission-listen',
        `127.0.0.1:${port}`,
        '--admission-failure-policy',
        'Ignore',
        '--admission-namespace',
        ns(),
      ],
      { env: { ...process.env, NO_COLOR: '1' } },
    );
    child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));

    // Registered, and the API server calls it (Ignore admits until then: asked with dry runs).
    await eventually(
      'a server-side dry run of a violating Pod is refused',
      async () => {
        const r = await kubectl(
          ['apply', '--dry-run=server', '-f', '-'],
          podYaml('probe', ns(), 'app: x'),
        );
        return r.code !== 0 ? r : undefined;
      },
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\ncontroller log:\n${log}`);
    });
    const refused = await kubectl(['apply', '-f', '-'], podYaml('bad', ns(), 'app: x'));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `admission webhook "validate.policy.sluice.dev" denied the request: Pod/${ns()}/bad was denied by policy:\n- ${policy}/team-label: pods need a "team" label (at /metadata/labels/team)`,
    );

    const good = await kubectl(['apply', '-f', '-'], podYaml('good', ns(), 'team: shop'));
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('pod/good created');

    const invalid = await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: sluice.dev/v1alpha1
kind: ClusterPolicy
metadata: { name: ${policy}-broken }
spec:
  rules:
    - name: tags
      match: { any: [{ resources: { kinds: [Pod], namespaces: [${ns()}] } }] }
      validate: { pattern: { spec: { containers: [{ image: '>=abc' }] } } }
`,
    );
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain(
      `policy ${policy}-broken: rule tags: spec.rules[0].validate.pattern/spec/containers/0/image: operator '>='`,
    );
    expect(log).toContain('admission webhook registered');
  }, 120_000);
});
