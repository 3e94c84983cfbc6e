/** The `sluice` command line. Each command group lives in its own file in this folder. */
import { Command, CommanderError } from 'commander';
import { SluiceError, errorMessage } from '../errors.ts';
import { appCommand } from './app/index.ts';
import { controllerCommand, installCrdsCommand, serverCommand } from './controller.ts';
import { convertCommand } from './convert.ts';
import { clusterCommand } from './cluster/index.ts';
import { demoCommand } from './demo.ts';
import { devClusterCommand } from './dev-cluster.ts';
import { doraCommand } from './dora/index.ts';
import { exitQuietlyOnClosedPipe } from './output.ts';
import { pipelineCommand, pipelineRunCommand } from './pipeline/index.ts';
import { policyCommand } from './policy/index.ts';
import { repoCommand } from './repo/index.ts';
import { promoteCommand } from './promote/index.ts';
import { rolloutCommand } from './rollout/index.ts';
import { sbomCommand } from './sbom/index.ts';
import { sealCommand } from './seal/index.ts';
import { scanGateCommand } from './scan/index.ts';
import { imageCommand } from './image/index.ts';
import { setImageCommand } from './image/set-image.ts';
import { taskCommand, taskRunCommand } from './task/index.ts';
import { notificationCommand } from './notification/index.ts';
import { triggerCommand } from './trigger/index.ts';

export function program(): Command {
  return (
    new Command('sluice')
      .description(
        'Sluice: Kubernetes-native CI/CD. GitOps delivery, progressive delivery, CI pipelines, promotion by Git commit, notifications and DORA metrics.',
      )
      .version('0.1.0')
      .showHelpAfterError('(add --help for usage)')
      // Deliver (GitOps, progressive), build (CI), carry to production, then watch.
      .addCommand(appCommand())
      .addCommand(rolloutCommand())
      .addCommand(pipelineCommand())
      .addCommand(pipelineRunCommand())
      .addCommand(taskCommand())
      .addCommand(taskRunCommand())
      .addCommand(triggerCommand())
      .addCommand(promoteCommand())
      .addCommand(imageCommand())
      .addCommand(setImageCommand())
      .addCommand(scanGateCommand())
      .addCommand(sbomCommand())
      .addCommand(policyCommand())
      .addCommand(sealCommand())
      .addCommand(notificationCommand())
      .addCommand(doraCommand())
      .addCommand(convertCommand())
      .addCommand(repoCommand())
      .addCommand(clusterCommand())
      .addCommand(controllerCommand())
      .addCommand(serverCommand())
      .addCommand(installCrdsCommand())
      .addCommand(demoCommand())
      .addCommand(devClusterCommand())
      .addHelpText('after', '\nExit codes: 0 ok, 1 failed, 2 bad usage, 3 not found, 4 timed out.')
  );
}

/**
 * Commander gives each command added with `addCommand` its own settings: without this, a usage
 * error in `sluice app get` (unknown flag, missing argument, invalid choice) exits 1 from inside
 * commander instead of reaching `main` and exiting 2 as documented.
 */
export function throwOnUsageErrors(cmd: Command): Command {
  cmd.exitOverride().showHelpAfterError('(add --help for usage)');
  for (const sub of cmd.commands) throwOnUsageErrors(sub);
  return cmd;
}

/** Runs the CLI; resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  exitQuietlyOnClosedPipe();
  const cmd = throwOnUsageErrors(program());
  try {
    await cmd.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`error: ${errorMessage(err)}\n`);
    return err instanceof SluiceError ? err.exitCode : 1;
  }
}
