/** What every cluster-facing command needs: a client from --kubeconfig / $KUBECONFIG. */
import { Option, type Command } from 'commander';
import { Kube } from '../kube/api.ts';
import { kubeconfigFromEnvironment } from './find-kubeconfig.ts';

export interface GlobalOptions {
  kubeconfig?: string;
  appNamespace: string;
}

export const DEFAULT_APP_NAMESPACE = 'sluice-system';

/** `--kubeconfig`, worded the same on every command. */
export function kubeconfigOption(): Option {
  return new Option(
    '--kubeconfig <path>',
    'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
  );
}

export function addClusterOptions(cmd: Command): Command {
  return cmd
    .addOption(kubeconfigOption())
    .addOption(
      new Option('-N, --app-namespace <ns>', 'namespace of the Applications').default(
        DEFAULT_APP_NAMESPACE,
      ),
    );
}

/** A client for --kubeconfig / $KUBECONFIG; says so plainly when there is no kubeconfig at all. */
export function connect(opts: Pick<GlobalOptions, 'kubeconfig'>): Promise<Kube> {
  return Kube.connect(kubeconfigFromEnvironment(opts.kubeconfig));
}

/** Runs `fn` with a client and always closes it. */
export async function withKube<T>(opts: GlobalOptions, fn: (kube: Kube) => Promise<T>): Promise<T> {
  const kube = await connect(opts);
  try {
    return await fn(kube);
  } finally {
    await kube.close();
  }
}

export const useColor = (stream: NodeJS.WriteStream = process.stdout): boolean =>
  !process.env['NO_COLOR'] && (Boolean(process.env['FORCE_COLOR']) || stream.isTTY === true);

export const paint = (code: number, s: string, on = useColor()): string =>
  on ? `\x1b[${code}m${s}\x1b[0m` : s;
export const green = (s: string): string => paint(32, s);
export const red = (s: string): string => paint(31, s);
export const yellow = (s: string): string => paint(33, s);
export const cyan = (s: string): string => paint(36, s);
export const bold = (s: string): string => paint(1, s);

/** Colours a unified diff: additions green, removals red, hunk headers cyan. */
export function colorDiff(text: string): string {
  return text
    .split('\n')
    .map((l) =>
      l.startsWith('+++') || l.startsWith('---')
        ? bold(l)
        : l.startsWith('+')
          ? green(l)
          : l.startsWith('-')
            ? red(l)
            : l.startsWith('@@')
              ? cyan(l)
              : l,
    )
    .join('\n');
}

export function statusColor(s: string | undefined): string {
  if (s === 'Synced' || s === 'Healthy' || s === 'Succeeded') return green(s);
  if (s === 'OutOfSync' || s === 'Progressing' || s === 'Running' || s === 'Suspended')
    return yellow(s);
  if (s === 'Degraded' || s === 'Failed' || s === 'Error' || s === 'Missing') return red(s);
  return s ?? 'Unknown';
}
