/**
 * What the demo prints for the user to try next, and what it says when it stops. Every command
 * works from any directory and on every run: `sluice` is defined as a shell function calling this
 * checkout with the Node.js that runs the demo (npx only finds Sluice inside its directory), paths
 * are absolute, and step 1 changes the replica count from what Git holds now (a second run would
 * otherwise commit nothing). The lines that are not comments form a script the e2e test runs.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CANARY_APP,
  CANARY_NAMESPACE,
  CANARY_ROLLOUT,
  DEMO_PROMETHEUS_PORT,
  nextVersion,
  versionOf,
} from './canary-samples.ts';
import {
  CI_NAMESPACE,
  CI_PIPELINE,
  CI_RUN_FILE,
  CI_SOURCE_CONFIGMAP,
  CI_VOLUME_FILE,
} from './ci-samples.ts';
import { HELLO_NODE_PORT } from './samples.ts';
import { LOOP_NAMESPACE, LOOP_PIPELINE, appName } from './loop-samples.ts';
import { RUN_LABEL } from '../pipelines/pipelinerun/children.ts';

export interface HintContext {
  clusterName: string;
  kubeconfig: string;
  /** The sample repository. */
  repoDir: string;
  appNamespace: string;
  /** The kubectl built for the dev cluster. */
  kubectl: string;
  /** Replicas of guestbook-ui in Git now. */
  replicas: number;
  /** The real node's address, when the cluster has one (the hello app answers there). */
  realNodeIp?: string;
  /** The canary app's version in Git, when this run has the canary app. */
  canaryVersion?: string;
  /** The PipelineRun the demo ran and the run store keeping its logs, when it ran one. */
  ci?: { run: string; storeUrl: string };
  /** The loop from a commit to production, when the demo walked it: the developer's clone. */
  loop?: { sourceWork: string; storeUrl: string };
}

/** This checkout of Sluice (the directory holding bin/sluice.js). */
export const sluiceRoot = (): string => join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `sluice` as a shell function usable from any directory (bash, zsh). */
export const sluiceFunction = (root = sluiceRoot(), node = process.execPath): string =>
  `sluice() { "${node}" "${root}/bin/sluice.js" "$@"; }`;

/** How to remove the cluster, written so that it works from anywhere. */
export const downCommand = (c: Pick<HintContext, 'clusterName'>): string =>
  `"${process.execPath}" "${sluiceRoot()}/bin/sluice.js" dev-cluster down --name ${c.clusterName}`;

/** Replicas of guestbook-ui in the repository's working tree (2 if it cannot tell). */
export async function gitReplicas(repoDir: string): Promise<number> {
  const text = await readFile(join(repoDir, 'guestbook', 'deployment.yaml'), 'utf8').catch(
    () => '',
  );
  const m = /^\s*replicas:\s*(\d+)\s*$/m.exec(text);
  return m ? Number(m[1]) : 2;
}

/** The canary app's version in the repository's working tree. */
export async function gitCanaryVersion(repoDir: string): Promise<string | undefined> {
  const text = await readFile(join(repoDir, 'canary', 'rollout.yaml'), 'utf8').catch(() => '');
  return versionOf(text);
}

/** The next replica count step 1 commits: one more, back to 2 after 5. */
export const nextReplicas = (n: number): number => (n >= 5 ? 2 : n + 1);

export function tryNext(c: HintContext): string {
  const n = c.replicas;
  const next = nextReplicas(n);
  const file = join(c.repoDir, 'guestbook', 'deployment.yaml');
  const N = c.appNamespace === 'sluice-system' ? '' : ` -N ${c.appNamespace}`;
  // The dev cluster's own kubectl, as a function for this shell (none when it was not built).
  const kubectlFunction = c.kubectl.startsWith('/') ? `\n  kubectl() { "${c.kubectl}" "$@"; }` : '';
  return `
Try next (paste into a shell; works from any directory):
  export KUBECONFIG=${c.kubeconfig}
  ${sluiceFunction()}${kubectlFunction}
  # 1. Commit a change, let Sluice fetch it, wait for the rollout, see ${next} replicas
  sed -i 's/replicas: ${n}$/replicas: ${next}/' ${file}
  git -C ${c.repoDir} -c user.name="Sluice Demo" -c user.email=demo@sluice.dev commit -qam "guestbook: ${next} replicas"
  sluice app get guestbook --refresh${N}
  sluice app wait guestbook --timeout 120${N}
  kubectl -n guestbook get deployment guestbook-ui
  # 2. Change the cluster by hand: self-heal reverts it within a second; the events show both
  kubectl -n guestbook scale deployment guestbook-ui --replicas=9
  sleep 3
  kubectl -n guestbook events --for deployment/guestbook-ui
  kubectl -n guestbook get deployment guestbook-ui
  # 3. History, diff and rollback (rollback pauses automated sync; the next demo run resumes it)
  sluice app history guestbook${N}
  sluice app diff podinfo-prod${N}
  sluice app rollback guestbook${N}
  sluice app wait guestbook --health --timeout 120${N}
  kubectl -n guestbook get deployment guestbook-ui
  # resume automated sync (back to what Git says): sluice app set guestbook --auto-sync${N}
${c.realNodeIp ? realApp(c.realNodeIp) : ''}${c.canaryVersion ? canary(c, c.canaryVersion) : ''}${c.ci ? ci(c, c.ci) : ''}${c.loop ? loop(c.loop) : ''}`;
}

/** Step 4: the app whose pods really run, on the real node's NodePort. */
function realApp(ip: string): string {
  const url = `http://${ip}:${HELLO_NODE_PORT}`;
  return `  # 4. A real app: "hello" runs on the real node; ask it, then read its Prometheus counter
  kubectl -n hello get pods -o wide
  curl -s ${url}/ && echo
  curl -s ${url}/metrics | grep '^http_requests_total'
`;
}

/** Step 5: the canary app's Rollout, its analysis' numbers, and a version of one's own. */
function canary(c: HintContext, version: string): string {
  const next = nextVersion(version);
  const file = join(c.repoDir, 'canary', 'rollout.yaml');
  const ro = `${CANARY_ROLLOUT} -n ${CANARY_NAMESPACE}`;
  const N = c.appNamespace === 'sluice-system' ? '' : ` -N ${c.appNamespace}`;
  const query = 'sum by (rollouts_pod_template_hash, code) (rate(http_requests_total[20s]))';
  return `  # 5. The canary app: the Rollout, its revisions and their analysis; what Prometheus counts
  sluice rollout list -n ${CANARY_NAMESPACE}
  sluice rollout get ${ro}
  curl -s http://127.0.0.1:${DEMO_PROMETHEUS_PORT}/api/v1/query --data-urlencode 'query=${query}' && echo
  # Release ${next} yourself (make its ERROR_RATE "0.5" to see the analysis stop it), and watch:
  #   sed -i 's/value: ${version} }/value: ${next} }/' ${file}
  #   git -C ${c.repoDir} -c user.name="Sluice Demo" -c user.email=demo@sluice.dev commit -qam "canary: ${next}"
  #   sluice app get ${CANARY_APP} --refresh${N}
  #   sluice rollout get ${ro} --watch
  # By hand: sluice rollout pause|promote|abort|retry|undo ${ro}
`;
}

/** Step 6: the CI pipeline: logs once the pods are gone, a run of one's own, the same locally. */
function ci(c: HintContext, o: { run: string; storeUrl: string }): string {
  const n = `-n ${CI_NAMESPACE}`;
  const repo = (file: string): string => join(c.repoDir, file);
  return `  # 6. CI: ${CI_PIPELINE} (${repo('ci/pipeline.yaml')}, synced by Sluice) ran as ${o.run}.
  #    Its logs outlive its pods: the controller keeps them in this run store.
  export SLUICE_DATABASE_URL=${o.storeUrl}
  kubectl ${n} delete pods -l ${RUN_LABEL}=${o.run}
  sluice pipeline logs ${o.run} ${n}
  # Run it again, publishing this time (the param turns publish's "when" true), and follow its logs
  sluice pipeline start ${CI_PIPELINE} ${n} -p publish=true --showlog \\
    -w name=source,config=${CI_SOURCE_CONFIGMAP} \\
    -w name=shared,volumeClaimTemplateFile=${repo(CI_VOLUME_FILE)}
  sluice pipeline runs ${n}
  sluice pipeline get --last ${CI_PIPELINE} ${n}
  # The same Pipeline on this machine, each step a process here (no cluster, no image)
  sluice pipeline run -f ${repo('ci')} -f ${repo(CI_RUN_FILE)} --local
  # More: sluice pipeline describe ${CI_PIPELINE} ${n}; sluice task list ${n}; sluice pipeline logs --last ${CI_PIPELINE} ${n} -f
`;
}

/** Step 7: a commit of one's own through the loop, the gates, and the DORA figures. */
function loop(o: { sourceWork: string; storeUrl: string }): string {
  const n = `-n ${LOOP_NAMESPACE}`;
  const g = `git -C ${o.sourceWork} -c user.name="Sluice Demo" -c user.email=demo@sluice.dev`;
  return `  # 7. From a commit to production: commit to the web app's source; follow it through CI to dev
  ${g} commit -q --allow-empty -m "my change" && ${g} push -q origin main
  sleep 3
  sluice pipeline logs --last ${LOOP_PIPELINE} ${n} -f
  sluice app list -N ${LOOP_NAMESPACE}
  sluice promote status ${n}
  SLUICE_DATABASE_URL=${o.storeUrl} sluice dora --env prod
  # Staging follows after the soak; when prod waits for a person (promote status says Waiting):
  #   sluice promote approve prod ${n} --reason "my first release"
  #   sluice rollout get ${appName('prod')} ${n} --watch
  # The gates: make ${o.sourceWork}/test.sh exit 1, or put a Critical finding with a fix in its
  # scan/grype.json; commit and push: the run fails and nothing reaches dev.
`;
}

/** Said when the demo stops on Ctrl-C: the cluster stays, and how to remove it. */
export function stoppedMessage(c: Pick<HintContext, 'clusterName' | 'kubeconfig'>): string {
  return (
    `Stopped the controller. The dev cluster "${c.clusterName}" keeps running (KUBECONFIG=${c.kubeconfig});\n` +
    `remove it with:\n  ${downCommand(c)}`
  );
}
