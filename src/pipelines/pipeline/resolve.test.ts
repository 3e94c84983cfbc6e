/**
 * What a started child gets besides its params: the run's volumes bound under its Task's
 * workspace names (a volumeClaimTemplate becoming one claim per run), and, for an inline spec,
 * the pipeline params it does not declare, context variables and metadata (Tekton's propagation).
 */
import { describe, expect, it } from 'vitest';
import type { PipelineSpec } from '../../api/pipeline.ts';
import { plan } from './plan.ts';
import { input, run, task, TASKS } from './testing/fixtures.ts';

const started = (spec: PipelineSpec) => plan(input(spec)).start;

describe('workspaces', () => {
  const spec: PipelineSpec = {
    workspaces: [{ name: 'source' }, { name: 'cache', optional: true }, { name: 'config' }],
    tasks: [
      task('build', {
        taskRef: { name: 'build' },
        workspaces: [
          { name: 'src', workspace: 'source', subPath: 'app/$(params.dir)' },
          { name: 'cache', workspace: 'cache' },
        ],
      }),
      {
        name: 'inline',
        taskSpec: {
          workspaces: [{ name: 'config' }],
          steps: [{ image: 'busybox', script: 'true' }],
        },
        when: [{ input: '$(workspaces.cache.bound)', operator: 'in', values: ['false'] }],
      },
    ],
    params: [{ name: 'dir', default: 'web' }],
  };
  const r = run({
    workspaces: [
      {
        name: 'source',
        subPath: 'ci',
        volumeClaimTemplate: { spec: { resources: { requests: { storage: '1Gi' } } } },
      },
      { name: 'config', configMap: { name: 'settings' } },
    ],
  });
  const p = plan(
    input(spec, [], {
      run: r,
      taskSpecs: {
        ...TASKS,
        build: {
          ...TASKS['build']!,
          workspaces: [{ name: 'src' }, { name: 'cache', optional: true }],
        },
      },
    }),
  );

  it('binds the run’s volumes under the Task’s names, joining subPaths; unbound optional ones are left out', () => {
    expect(p.start[0]?.workspaces).toEqual([
      {
        name: 'src',
        persistentVolumeClaim: { claimName: 'ci-1-ws-source' },
        subPath: 'ci/app/web',
      },
    ]);
  });

  it('turns a volumeClaimTemplate into one claim per run, shared by every task', () => {
    expect(p.volumeClaims).toEqual([
      {
        workspace: 'source',
        claimName: 'ci-1-ws-source',
        template: { spec: { resources: { requests: { storage: '1Gi' } } } },
      },
    ]);
  });

  it('gives an inline spec the Pipeline workspace of the same name; $(workspaces.w.bound) tells', () => {
    expect(p.start[1]?.workspaces).toEqual([{ name: 'config', configMap: { name: 'settings' } }]);
  });
});

describe('inline task specs (Tekton’s propagation)', () => {
  const spec: PipelineSpec = {
    params: [
      { name: 'greeting', default: 'hello' },
      { name: 'who', default: 'pipeline' },
    ],
    tasks: [
      {
        name: 'say',
        taskSpec: {
          metadata: { labels: { team: 'web' } },
          params: [{ name: 'who', default: 'task' }],
          steps: [
            {
              image: 'busybox',
              script:
                'echo $(params.greeting) $(params.who) in $(context.pipelineRun.name) at $(date)',
              args: ['$(params.greeting)'],
            },
          ],
        },
      },
    ],
  };
  const [say] = started(spec);

  it('substitutes pipeline params it does not declare and context; keeps its own params and shell text', () => {
    expect(say?.taskSpec.steps[0]).toEqual({
      image: 'busybox',
      script: 'echo hello $(params.who) in ci-1 at $(date)',
      args: ['hello'],
    });
    expect(say?.taskSpec).not.toHaveProperty('metadata');
    expect(say?.metadata).toEqual({ labels: { team: 'web' } });
    expect(say?.taskRef).toBeUndefined();
  });
});
