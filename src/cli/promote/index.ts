/**
 * `sluice promote ...`: where each image is on its way to production, and the people's part of
 * it. `status [PROMOTION]` (the table of view.ts, or `-o json|yaml`), `approve ENV` and `reject
 * ENV` (approve.ts: a decision on what waits to enter ENV, allowed by Kubernetes RBAC on
 * `promotions/approval`). Exit codes: 0 done, 1 refused or nothing waits, 2 usage, 3 not found.
 */
import { Command, Option } from 'commander';
import { PROMOTION_KIND, type Decision, type Promotion } from '../../api/promotion.ts';
import { shortVersion } from '../../delivery/promotion/imageref.ts';
import { outputOption, printData, type OutputFormat } from '../output.ts';
import { addRolloutOptions, withRolloutKube, type RolloutOptions } from '../rollout/options.ts';
import { decide, findPromotion, PROMOTION_API } from './approve.ts';
import { promotionTable } from './view.ts';

type StatusOptions = RolloutOptions & { output: OutputFormat };

function statusCommand(): Command {
  return addRolloutOptions(
    new Command('status')
      .description('show what each environment runs, what is on its way in, and its gates')
      .argument('[promotion]', 'one Promotion (default: all in the namespace)')
      .addOption(outputOption()),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  sluice promote status -n delivery\n  sluice promote status web -o json',
    )
    .action(async (name: string | undefined, o: StatusOptions) => {
      await withRolloutKube(o, async (kube, namespace) => {
        const list = name
          ? [await findPromotion(kube, namespace, name)]
          : (await kube.list<Promotion>(PROMOTION_API, PROMOTION_KIND, { namespace })).items;
        printData(o.output, name ? list[0] : list, () =>
          list.length ? promotionTable(list) : `No Promotions in namespace ${namespace}.\n`,
        );
      });
    });
}

type DecideOptions = RolloutOptions & { promotion?: string; reason?: string };

function decisionCommand(verb: 'approve' | 'reject', decision: Decision): Command {
  return addRolloutOptions(
    new Command(verb)
      .description(
        verb === 'approve'
          ? 'let what waits to enter ENV go on (needs RBAC: update on promotions/approval)'
          : 'stop what waits to enter ENV (needs RBAC: update on promotions/approval)',
      )
      .argument('<env>', 'the environment, e.g. prod')
      .addOption(new Option('--promotion <name>', 'the Promotion (default: the only one)'))
      .addOption(new Option('--reason <text>', 'recorded with the decision')),
  )
    .addHelpText(
      'after',
      `\nExamples:\n  sluice promote ${verb} prod -n delivery\n  sluice promote ${verb} prod --promotion web --reason "change CHG-1234"`,
    )
    .action(async (env: string, o: DecideOptions) => {
      await withRolloutKube(o, async (kube, namespace) => {
        const { promotion, approval } = await decide(kube, namespace, {
          env,
          decision,
          ...(o.promotion ? { promotion: o.promotion } : {}),
          ...(o.reason ? { reason: o.reason } : {}),
        });
        process.stdout.write(
          `${approval.decision} ${shortVersion(approval.digest)} for ${env} of Promotion/${namespace}/${promotion.metadata.name} (as ${approval.user})\n`,
        );
      });
    });
}

export function promoteCommand(): Command {
  return new Command('promote')
    .summary('carry an image dev → staging → prod by Git commits (status, approve, reject)')
    .description(
      "A Promotion writes the image an environment runs into the next one's manifests in Git once its gates pass: soak time, analysis, a person's approval. These commands show where each image is and give the approvals.",
    )
    .addCommand(statusCommand())
    .addCommand(decisionCommand('approve', 'Approved'))
    .addCommand(decisionCommand('reject', 'Rejected'));
}
