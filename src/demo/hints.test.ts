import { describe, expect, it } from 'vitest';
import { nextReplicas, stoppedMessage, tryNext, type HintContext } from './hints.ts';

const ctx: HintContext = {
  clusterName: 'sluice',
  kubeconfig: '/home/u/.cache/sluice/clusters/sluice/kubeconfig',
  repoDir: '/home/u/.cache/sluice/demo/repo',
  appNamespace: 'sluice-system',
  kubectl: '/home/u/.cache/sluice/bin/kubernetes/v1.36.3/kubectl',
  replicas: 3,
};

describe('the demo’s printed steps', () => {
  it.each([
    [2, 3],
    [3, 4],
    [5, 2],
  ])('step 1 changes %i replicas to %i (a second run commits something too)', (n, next) => {
    expect(nextReplicas(n)).toBe(next);
  });

  it('work from any directory: no npx, absolute paths, sluice as a shell function', () => {
    const text = tryNext(ctx);
    expect(text).not.toContain('npx');
    expect(text).not.toContain('cd ');
    expect(text).toContain(
      `sed -i 's/replicas: 3$/replicas: 4/' ${ctx.repoDir}/guestbook/deployment.yaml`,
    );
    expect(text).toMatch(/sluice\(\) \{ "\/.+" "\/.+\/bin\/sluice\.js" "\$@"; \}/);
    expect(text).toContain(`kubectl() { "${ctx.kubectl}" "$@"; }`);
    expect(text).toContain('kubectl -n guestbook events --for deployment/guestbook-ui');
    expect(tryNext({ ...ctx, kubectl: 'kubectl' })).not.toContain('kubectl()');
  });

  it('step 4 asks the real app on the real node, only when the cluster has one', () => {
    const text = tryNext({ ...ctx, realNodeIp: '198.19.255.2' });
    expect(text).toContain('curl -s http://198.19.255.2:30080/');
    expect(text).toContain(
      "curl -s http://198.19.255.2:30080/metrics | grep '^http_requests_total'",
    );
    expect(tryNext(ctx)).not.toContain('curl');
  });

  it('step 5 shows the canary Rollout and what Prometheus counts, only with the canary app', () => {
    const text = tryNext({ ...ctx, canaryVersion: 'v3' });
    expect(text).toContain('sluice rollout get web -n canary\n');
    expect(text).toContain('sluice rollout list -n canary\n');
    expect(text).toContain(
      "curl -s http://127.0.0.1:19090/api/v1/query --data-urlencode 'query=sum by (rollouts_pod_template_hash, code) (rate(http_requests_total[20s]))'",
    );
    // The next version to release by hand is the one after what Git holds.
    expect(text).toContain(
      `#   sed -i 's/value: v3 }/value: v4 }/' ${ctx.repoDir}/canary/rollout.yaml`,
    );
    expect(tryNext(ctx)).not.toContain('sluice rollout');
  });

  it('step 6 reads the demo run’s logs from the run store, starts a run, runs it locally; only with a run', () => {
    const text = tryNext({ ...ctx, ci: { run: 'hello-ci-run-x7k2p', storeUrl: '/w/runs.db' } });
    expect(text).toContain('export SLUICE_DATABASE_URL=/w/runs.db\n');
    // The pods go first, so the logs that follow come from the store.
    expect(text).toMatch(
      /kubectl -n ci delete pods -l sluice\.dev\/pipelineRun=hello-ci-run-x7k2p\n\s+sluice pipeline logs hello-ci-run-x7k2p -n ci\n/,
    );
    // One command over three lines, every file the flags read absolute; no pod template: the
    // demo's controller sends task pods to the real node by default.
    expect(text).toContain(
      [
        'sluice pipeline start hello-ci -n ci -p publish=true --showlog \\',
        '    -w name=source,config=hello-source \\',
        `    -w name=shared,volumeClaimTemplateFile=${ctx.repoDir}/ci/runs/volume.yaml\n`,
      ].join('\n'),
    );
    expect(text).toContain(
      `sluice pipeline run -f ${ctx.repoDir}/ci -f ${ctx.repoDir}/ci/runs/hello-ci.yaml --local\n`,
    );
    expect(tryNext(ctx)).not.toContain('sluice pipeline');
  });

  it('step 7 pushes a commit of one’s own through the loop and follows it; waits nowhere for a person', () => {
    const loop = { sourceWork: '/w/loop/source-work', storeUrl: '/w/runs.db' };
    const text = tryNext({ ...ctx, loop });
    expect(text).toContain(
      'git -C /w/loop/source-work -c user.name="Sluice Demo" -c user.email=demo@sluice.dev push -q origin main\n',
    );
    expect(text).toContain('sluice pipeline logs --last web-ci -n loop -f\n');
    expect(text).toContain('sluice promote status -n loop\n');
    expect(text).toContain('SLUICE_DATABASE_URL=/w/runs.db sluice dora --env prod\n');
    // Approving and watching wait for things a pasted script cannot: they are comments.
    expect(text).toMatch(/^ +# +sluice promote approve prod -n loop/m);
    expect(text).toMatch(/^ +# +sluice rollout get web-prod -n loop --watch/m);
    expect(tryNext(ctx)).not.toContain('-n loop');
  });

  it('on Ctrl-C: the cluster keeps running, and how to remove it', () => {
    expect(stoppedMessage(ctx)).toMatch(/keeps running[\s\S]*dev-cluster down --name sluice/);
  });
});
