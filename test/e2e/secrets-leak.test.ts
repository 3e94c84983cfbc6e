/**
 * Secrets never leak: values planted in a Secret in Git, in a SealedSecret's plaintext and in a
 * Secret changed by hand are looked for — as written and base64-encoded — in everything a user
 * or an operator can read: every `sluice app` command's output (get in three formats, diff,
 * manifests desired and live, resources, history, sync), the Application's status, every Event
 * of the namespace, the controller's log at debug level, and its HTTP endpoints (/metrics,
 * /api/dora). The only place a value may be is the Secret itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Secret } from '../../src/api/sealedsecret.ts';
import { execFile } from '../../src/util/exec.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import { freePort } from '../../src/source/testing/sshd.ts';
import { configMap, createRepo, startSluiceController, type TestRepo } from './gitops-harness.ts';
import { ensureCrds } from './taskrun-harness.ts';

const ns = useNamespace('leak');
/** Each planted value, and where it was planted. */
const PLANTED = {
  stringData: 'planted-stringdata-7f3a9c',
  data: 'planted-data-base64-2b8e1d',
  changed: 'planted-changed-value-9d4c2a',
  sealed: 'planted-sealed-plaintext-5e6f70',
  byHand: 'planted-by-hand-4a1b3c',
} as const;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Every planted value in every form it could leak in. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [where, value] of Object.entries(PLANTED))
    for (const form of [value, b64(value)]) if (text.includes(form)) found.push(`${where}:${form}`);
  return found;
}

const sluice = (...args: string[]) =>
  execFile(process.execPath, ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath()], {
    timeoutMs: 150_000,
    env: { ...process.env, NO_COLOR: '1', SLUICE_CONTROLLER_NAMESPACE: ns() },
  });

const secretYaml = (password: string): string => `apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
stringData: {password: ${password}}
data: {token: ${b64(PLANTED.data)}}
`;

describe('secret values', () => {
  it('appear in no CLI output, status, Event, log line or HTTP response', async () => {
    const k = await kube();
    await ensureCrds(k);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-leak-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    const controller = await startSluiceController(ns(), [
      ...['--no-rollouts', '--no-pipelines', '--no-image-automation', '--no-promotions'],
      ...['--no-triggers', '--no-policies', '--log-level', 'debug'],
      ...['--listen', `127.0.0.1:${port}`],
    ]);
    const base = `http://127.0.0.1:${port}`;
    await eventually(
      'the controller serves its sealing certificate',
      async () => {
        const r = await fetch(`${base}/v1/cert.pem`).catch(() => undefined);
        return r?.ok && (await r.text()).includes('BEGIN CERTIFICATE') ? true : undefined;
      },
      120_000,
    );

    // A SealedSecret sealed with the controller's certificate, committed next to a Secret.
    const plain = join(dir, 'sealed-plain.yaml');
    await writeFile(
      plain,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: sealed-db, namespace: ${ns()}}\nstringData: {password: ${PLANTED.sealed}}\n`,
    );
    const sealed = await sluice('seal', '--cert', `${base}/v1/cert.pem`, '-f', plain, '-o', 'yaml');
    expect(sealed.code, sealed.stderr).toBe(0);
    const outputs: Array<[string, string]> = [['sluice seal', sealed.stdout + sealed.stderr]];

    const repo: TestRepo = await createRepo({
      'app/secret.yaml': secretYaml(PLANTED.stringData),
      'app/sealed.yaml': sealed.stdout,
      'app/cm.yaml': configMap('settings', { mode: 'a' }),
    });
    const cli = async (what: string, ...args: string[]): Promise<string> => {
      const r = await sluice(...args);
      outputs.push([what, r.stdout + r.stderr]);
      return r.stdout + r.stderr;
    };
    const app = ['-N', ns()];
    const created = await sluice(
      'app',
      'create',
      'leaky',
      '--repo',
      repo.url,
      '--path',
      'app',
      '--dest-namespace',
      ns(),
      ...app,
    );
    expect(created.code, created.stderr).toBe(0);
    await cli('app sync', 'app', 'sync', 'leaky', '--timeout', '120', ...app);
    await eventually('the sealed Secret unsealed and the Git Secret applied', async () => {
      const s = await k.get<Secret>('v1', 'Secret', ns(), 'sealed-db');
      const c = await k.get('v1', 'Secret', ns(), 'creds');
      return s?.data?.['password'] && c ? true : undefined;
    });

    // A change in Git and one by hand: both show as differences, neither value may.
    await repo.commit({ 'app/secret.yaml': secretYaml(PLANTED.changed) });
    const live = await k.get('v1', 'Secret', ns(), 'creds');
    if (!live) throw new Error('no Secret creds');
    await k.mergePatch(live, { stringData: { byhand: PLANTED.byHand } });
    await cli('app get (refresh)', 'app', 'get', 'leaky', '--refresh', ...app);
    const diff = await cli('app diff', 'app', 'diff', 'leaky', ...app);
    // The diff still says which key changed.
    expect(diff).toContain('password');
    await cli('app get -o json', 'app', 'get', 'leaky', '-o', 'json', ...app);
    await cli('app get -o yaml', 'app', 'get', 'leaky', '-o', 'yaml', ...app);
    await cli('app manifests', 'app', 'manifests', 'leaky', ...app);
    await cli(
      'app manifests --source live',
      'app',
      'manifests',
      'leaky',
      '--source',
      'live',
      ...app,
    );
    await cli('app resources', 'app', 'resources', 'leaky', ...app);
    await cli('app sync --dry-run', 'app', 'sync', 'leaky', '--dry-run', ...app);
    await cli('app sync', 'app', 'sync', 'leaky', '--timeout', '120', ...app);
    await cli('app history', 'app', 'history', 'leaky', ...app);
    await cli('app history -o json', 'app', 'history', 'leaky', '-o', 'json', ...app);
    // The Git value is live now: the sync did reach the cluster.
    const after = await k.get<Secret>('v1', 'Secret', ns(), 'creds');
    expect(after?.data?.['password']).toBe(b64(PLANTED.changed));
    // The sweep finds a value where one is: in the Secret itself.
    expect(leaks(JSON.stringify(after))).toContain(`changed:${b64(PLANTED.changed)}`);

    const application = await k.get('sluice.dev/v1alpha1', 'Application', ns(), 'leaky');
    outputs.push(['Application (status included)', JSON.stringify(application)]);
    const sealedObject = await k.get('sluice.dev/v1alpha1', 'SealedSecret', ns(), 'sealed-db');
    outputs.push(['SealedSecret (status included)', JSON.stringify(sealedObject)]);
    const events = await k.list('v1', 'Event', { namespace: ns() });
    expect(events.items.length).toBeGreaterThan(0);
    outputs.push(['Events', JSON.stringify(events)]);
    for (const path of ['/metrics', '/api/dora']) {
      const r = await fetch(`${base}${path}`);
      outputs.push([`GET ${path}`, await r.text()]);
    }
    const log = controller.log();
    outputs.push(['controller log (debug)', log]);
    expect(log).toContain('sync succeeded');

    const found = outputs.flatMap(([what, text]) => leaks(text).map((l) => `${what}: ${l}`));
    expect(found).toEqual([]);
  }, 400_000);
});
