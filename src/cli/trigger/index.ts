/**
 * `sluice trigger ...`: Triggers from the command line — `list`, `get` (its refs and the runs it
 * started) and `run` (start its PipelineRun by hand for a commit). Files: read.ts, run.ts; pure:
 * view.ts.
 */
import { Command } from 'commander';
import { getCommand, listCommand } from './read.ts';
import { runCommand } from './run.ts';

const ABOUT = `A Trigger starts a PipelineRun when a commit lands on the branches or tags it selects
of a repository, and (for branches) changes the paths it names: on a signed push to the
controller's POST /api/webhook (GitHub, GitLab or generic HMAC), or when polling finds it
(spec.pollInterval, default 3m; 0 for webhook only). One run per trigger, ref and commit,
however the commit was seen. spec.concurrencyPolicy: Allow, CancelPrevious or Queue.

spec.template is the PipelineRun (pipelineRef, params, workspaces, taskRunTemplate); these
variables are filled in from the commit:
  $(trigger.sha) $(trigger.shortSha) $(trigger.ref) $(trigger.refName) $(trigger.branch)
  $(trigger.tag) $(trigger.repoURL) $(trigger.author) $(trigger.message) $(trigger.subject)
  $(trigger.changedFiles) $(trigger.previousSha) $(trigger.source) $(trigger.name)
Runs carry the labels sluice.dev/trigger, sluice.dev/commit and sluice.dev/trigger-ref.`;

const EXAMPLE = `
Example Trigger (kubectl apply -f):
  apiVersion: sluice.dev/v1alpha1
  kind: Trigger
  metadata: { name: ci, namespace: team }
  spec:
    repoURL: https://git.example.com/org/app.git
    branches: [main, 'release/**']
    paths: ['src/**']
    concurrencyPolicy: CancelPrevious
    template:
      spec:
        pipelineRef: { name: build }
        params: [{ name: revision, value: $(trigger.sha) }]

Examples:
  sluice trigger list -n team
  sluice trigger get ci -n team
  sluice trigger run ci -n team --revision 3f2a9c1 --branch main
  kubectl get pipelineruns -l sluice.dev/trigger=ci -n team`;

export function triggerCommand(): Command {
  return new Command('trigger')
    .alias('triggers')
    .summary('Triggers: pushes and polled commits start PipelineRuns (list, get, run)')
    .description(
      'A Trigger starts a PipelineRun when a commit lands on the branches or tags it selects (signed push webhook or polling).',
    )
    .addCommand(listCommand())
    .addCommand(getCommand())
    .addCommand(runCommand())
    .addHelpText(
      'after',
      `\n${ABOUT}\n${EXAMPLE}\n\nExit codes: 0 ok, 1 failed, 2 bad usage, 3 not found, 4 timed out.`,
    );
}
