/** `sluice app delete`: delete an Application, with `--cascade` the objects it manages too. */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import { SluiceError } from '../../errors.ts';
import { FINALIZER } from '../../gitops/annotations.ts';
import { addClusterOptions, withKube, type GlobalOptions } from '../context.ts';
import { getApp } from './common.ts';
import { parseSeconds } from './flags.ts';

export function deleteCommand(): Command {
  const cmd = new Command('delete')
    .description('delete an Application; with --cascade, prune every resource it manages first')
    .argument('<name>')
    .option('--cascade', 'delete the resources the app manages too')
    .option('--timeout <seconds>', 'give up waiting after this long', parseSeconds, 120)
    .addHelpText('after', '\nExample:\n  sluice app delete guestbook --cascade');
  addClusterOptions(cmd);
  return cmd.action(
    async (name: string, o: GlobalOptions & { cascade?: boolean; timeout: number }) => {
      await withKube(o, async (kube) => {
        const app = await getApp(kube, o.appNamespace, name);
        const finalizers = new Set(app.metadata.finalizers ?? []);
        if (o.cascade) finalizers.add(FINALIZER);
        else finalizers.delete(FINALIZER);
        await kube.mergePatch(app, { metadata: { finalizers: [...finalizers] } });
        await kube.delete(app);
        process.stderr.write(
          `• deleting ${o.appNamespace}/${name}${o.cascade ? ' and the resources it manages' : ' (its resources stay)'}\n`,
        );
        const deadline = Date.now() + o.timeout * 1000;
        while (await kube.get(app.apiVersion, app.kind, o.appNamespace, name)) {
          if (Date.now() > deadline) {
            throw new SluiceError(
              'Timeout',
              `${o.appNamespace}/${name} is still being deleted after ${o.timeout}s`,
              {
                exitCode: 4,
                hint: 'cascading deletion is done by the controller: is `sluice controller` running? `sluice app get` shows why it waits',
              },
            );
          }
          await sleep(250);
        }
        process.stderr.write(`• deleted ${o.appNamespace}/${name}\n`);
      });
    },
  );
}
