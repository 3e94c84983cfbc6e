/**
 * `sluice policy apply|test`: the policy engine (Kyverno's validate language) in CI. The same
 * engine runs at admission and in GitOps preflight (src/policy).
 */
import { Command } from 'commander';
import { applyCommand } from './apply.ts';
import { testCommand } from './test.ts';

export function policyCommand(): Command {
  return new Command('policy')
    .description('check resources against ClusterPolicies/Policies (Kyverno validate rules) in CI')
    .addCommand(applyCommand())
    .addCommand(testCommand());
}
