/**
 * Steps as processes: a `#!/bin/bash` script with args as "$@", a command step, the result size
 * limit, a ConfigMap workspace and a Secret env from the documents (masked in logs), claims in a
 * kept work dir, and what cannot run locally (a sidecar) failing the TaskRun by name.
 */
import { describe, expect, it } from 'vitest';
import {
  cleanWorkDirs,
  cond,
  IMAGE,
  inline,
  logs,
  pipelineRun,
  run,
  shared,
  workDir,
} from './testing.ts';

cleanWorkDirs();

describe('steps', () => {
  it('a #!/bin/bash script runs under bash; args are its "$@"; a command step runs command + args', async () => {
    const r = await run({
      documents: [
        inline('sb', [
          {
            name: 'bash',
            taskSpec: {
              steps: [
                {
                  name: 'b',
                  image: IMAGE,
                  script:
                    '#!/bin/bash\nset -euo pipefail\nxs=("$@")\n[[ ${#xs[@]} -eq 2 ]] && echo "bash ${BASH_VERSINFO[0]} ${xs[1]}"',
                  args: ['one', 'two'],
                },
                { name: 'c', image: IMAGE, command: ['printf'], args: ['%s-%s\n', 'a', 'b'] },
              ],
            },
          },
        ]),
      ],
    });
    expect(cond(r.run)?.status).toBe('True');
    const lines = logs(r.events, 'bash');
    expect(lines[0]).toMatch(/^bash \d+ two$/);
    expect(lines[1]).toBe('a-b');
  });

  it('a result past 4096 bytes fails the TaskRun as on the cluster', async () => {
    const r = await run({
      documents: [
        inline('big', [
          {
            name: 'big',
            taskSpec: {
              results: [{ name: 'r' }],
              steps: [
                { name: 'w', image: IMAGE, script: 'head -c 5000 /dev/zero > $(results.r.path)' },
              ],
            },
          },
        ]),
      ],
    });
    expect(cond(r.byTask('big')[0])).toMatchObject({
      reason: 'TaskRunResultLargerThanAllowedLimit',
      message: 'result "r" is 5000 bytes, more than the 4096 bytes a result may hold',
    });
    expect(cond(r.run)?.status).toBe('False');
  });

  it('a ConfigMap workspace and a Secret env come from the documents; the secret is masked in logs', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { 'app.conf': 'mode=fast' },
    };
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tok' },
      data: { token: Buffer.from('s3cr3t').toString('base64') },
    };
    const runDoc = pipelineRun('cm', {
      workspaces: [{ name: 'conf', configMap: { name: 'cfg' } }],
      pipelineSpec: {
        workspaces: [{ name: 'conf' }],
        tasks: [
          {
            name: 'read',
            workspaces: [{ name: 'conf', workspace: 'conf' }],
            taskSpec: {
              workspaces: [{ name: 'conf' }],
              steps: [
                {
                  name: 'r',
                  image: IMAGE,
                  env: [
                    { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tok', key: 'token' } } },
                  ],
                  script: 'cat $(workspaces.conf.path)/app.conf; echo; echo "token=$TOKEN"',
                },
              ],
            },
          },
        ],
      },
    });
    const r = await run({ documents: [cm, secret, runDoc] });
    expect(cond(r.run)?.status).toBe('True');
    expect(logs(r.events, 'read')).toEqual(['mode=fast', 'token=***']);
  });

  it('in a kept work dir a named PVC keeps its files from run to run; a volumeClaimTemplate starts empty', async () => {
    const d = await workDir();
    const names = [{ name: 'cache' }, { name: 'shared' }];
    const script = [
      'echo x >> $(workspaces.cache.path)/log',
      'echo y >> $(workspaces.shared.path)/log',
      'echo $(wc -l < $(workspaces.cache.path)/log) $(wc -l < $(workspaces.shared.path)/log)',
    ].join('\n');
    const doc = pipelineRun('pv', {
      workspaces: [{ name: 'cache', persistentVolumeClaim: { claimName: 'cache' } }, shared],
      pipelineSpec: {
        workspaces: names,
        tasks: [
          {
            name: 'count',
            workspaces: names,
            taskSpec: { workspaces: names, steps: [{ name: 'c', image: IMAGE, script }] },
          },
        ],
      },
    });
    const first = await run({ documents: [doc], workDir: d });
    const second = await run({ documents: [doc], workDir: d });
    expect(logs(first.events, 'count')).toEqual(['1 1']);
    expect(logs(second.events, 'count')).toEqual(['2 1']);
    expect(second.events).toContainEqual({
      type: 'notice',
      code: 'Workspace',
      message: expect.stringContaining('PersistentVolumeClaim "cache"') as string,
    });
  });

  it('a command this machine does not have: exit code 127, named', async () => {
    const r = await run({
      documents: [
        inline('nf', [
          {
            name: 'tool',
            taskSpec: { steps: [{ name: 'c', image: IMAGE, command: ['no-such-tool-xyz'] }] },
          },
        ]),
      ],
    });
    expect(cond(r.byTask('tool')[0])?.message).toBe(
      'step "c" exited with code 127 (cannot run "no-such-tool-xyz": ENOENT)',
    );
    expect(r.byTask('tool')[0]?.status?.steps?.[0]?.terminated?.exitCode).toBe(127);
  });

  it('what cannot run locally fails the TaskRun naming it (a sidecar)', async () => {
    const r = await run({
      documents: [
        inline('sc', [
          {
            name: 'svc',
            taskSpec: {
              sidecars: [{ name: 'db', image: 'postgres' }],
              steps: [{ name: 's', image: IMAGE, script: 'true' }],
            },
          },
        ]),
      ],
    });
    expect(cond(r.byTask('svc')[0])).toMatchObject({
      reason: 'TaskRunValidationFailed',
      message: expect.stringContaining('sidecar "db"') as string,
    });
  });
});
