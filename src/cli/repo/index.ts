/**
 * `sluice repo add | list | rm`: repository credentials, kept as Secrets labelled
 * `sluice.dev/secret-type: repository` in the controller's namespace (Argo CD's repository
 * Secrets, with Sluice's label). `list` never prints a credential.
 */
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { Command, Option } from 'commander';
import { SluiceError, errorMessage } from '../../errors.ts';
import { REPO_SECRET_SELECTOR } from '../../gitops/credentials.ts';
import type { Kube } from '../../kube/api.ts';
import type { KubeObject } from '../../kube/types.ts';
import {
  DEFAULT_APP_NAMESPACE,
  kubeconfigOption,
  withKube,
  type GlobalOptions,
} from '../context.ts';
import { formatTable, outputOption, printData, type OutputFormat } from '../output.ts';
import {
  describeRepoSecret,
  repoSecret,
  sameRepo,
  type RepoCredentialsInput,
  type RepoRow,
} from './secret.ts';

type RepoOptions = Pick<GlobalOptions, 'kubeconfig'> & { controllerNamespace: string };

function addOptions(cmd: Command): Command {
  return cmd
    .addOption(kubeconfigOption())
    .addOption(
      new Option(
        '--controller-namespace <ns>',
        'the controller’s namespace, where the Secrets live',
      )
        .env('SLUICE_CONTROLLER_NAMESPACE')
        .default(DEFAULT_APP_NAMESPACE),
    );
}

const connect = <T>(o: RepoOptions, fn: (kube: Kube) => Promise<T>): Promise<T> =>
  withKube({ ...o, appNamespace: o.controllerNamespace }, fn);

async function repoSecrets(kube: Kube, namespace: string): Promise<KubeObject[]> {
  const list = await kube.list('v1', 'Secret', { namespace, labelSelector: REPO_SECRET_SELECTOR });
  return list.items.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

type AddOptions = RepoOptions & {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  bearerToken?: string;
  sshPrivateKeyPath?: string;
  sshKnownHostsFile?: string;
  insecureSkipServerVerification?: boolean;
  name?: string;
  upsert?: boolean;
};

async function credentialsFrom(o: AddOptions): Promise<RepoCredentialsInput> {
  const password = o.passwordStdin ? (await text(process.stdin)).replace(/\r?\n$/, '') : o.password;
  let sshPrivateKey: string | undefined;
  if (o.sshPrivateKeyPath !== undefined) {
    sshPrivateKey = await readFile(o.sshPrivateKeyPath, 'utf8').catch((err: unknown) => {
      throw new SluiceError(
        'BadFlag',
        `cannot read --ssh-private-key-path ${o.sshPrivateKeyPath}: ${errorMessage(err)}`,
        { exitCode: 2 },
      );
    });
  }
  const sshKnownHosts =
    o.sshKnownHostsFile === undefined
      ? undefined
      : await readFile(o.sshKnownHostsFile, 'utf8').catch((err: unknown) => {
          throw new SluiceError(
            'BadFlag',
            `cannot read --ssh-known-hosts-file ${o.sshKnownHostsFile}: ${errorMessage(err)}`,
            { exitCode: 2 },
          );
        });
  return {
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(sshKnownHosts !== undefined ? { sshKnownHosts } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(o.bearerToken !== undefined ? { bearerToken: o.bearerToken } : {}),
    ...(sshPrivateKey !== undefined ? { sshPrivateKey } : {}),
    ...(o.insecureSkipServerVerification ? { insecure: true } : {}),
  };
}

function addCommand(): Command {
  const cmd = new Command('add')
    .description('register a Git repository’s credentials (as `argocd repo add`)')
    .argument('<url>', 'repository URL, or a URL prefix that covers several repositories')
    .option('--username <user>', 'user name for https')
    .option('--password <password>', 'password or token for https (see also --password-stdin)')
    .option('--password-stdin', 'read the password from stdin, so it stays out of shell history')
    .option('--bearer-token <token>', 'bearer token for https')
    .option('--ssh-private-key-path <file>', 'private key for ssh URLs')
    .option(
      '--ssh-known-hosts-file <file>',
      "the server's host keys for ssh URLs (known_hosts lines, e.g. from ssh-keyscan); default: the ConfigMap sluice-ssh-known-hosts",
    )
    .option('--insecure-skip-server-verification', 'do not verify the server’s TLS certificate')
    .option('--name <name>', 'a name for the repository (the Secret is repo-<name>)')
    .option('--upsert', 'replace the credentials if the repository is registered')
    .addHelpText(
      'after',
      '\nExamples:\n  echo "$TOKEN" | sluice repo add https://git.example.com/org --username bot --password-stdin\n' +
        '  ssh-keyscan git.example.com > known_hosts   # then check the fingerprints (ssh-keygen -lf known_hosts)\n' +
        '  sluice repo add git@git.example.com:org/deploy.git --ssh-private-key-path ~/.ssh/deploy_key --ssh-known-hosts-file known_hosts',
    );
  return addOptions(cmd).action(async (url: string, o: AddOptions) => {
    const secret = repoSecret({
      namespace: o.controllerNamespace,
      url,
      ...(o.name !== undefined ? { name: o.name } : {}),
      credentials: await credentialsFrom(o),
    });
    const replaced = await connect(o, async (kube) => {
      const existing = (await repoSecrets(kube, o.controllerNamespace)).find((s) =>
        sameRepo(s, url),
      );
      if (existing && !o.upsert)
        throw new SluiceError(
          'RepoExists',
          `repository ${url} is already registered (Secret ${existing.metadata.name ?? ''})`,
          {
            hint: 'add --upsert to replace its credentials',
          },
        );
      if (!(await kube.get('v1', 'Namespace', undefined, o.controllerNamespace)))
        await kube.create({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: o.controllerNamespace },
        });
      if (existing && existing.metadata.name === secret.metadata.name) {
        // A PUT without `data` replaces every key: nothing of the old credentials stays.
        const rv = existing.metadata.resourceVersion;
        const metadata = { ...secret.metadata, ...(rv ? { resourceVersion: rv } : {}) };
        await kube.update({ ...secret, metadata });
      } else {
        await kube.create(secret);
        if (existing) await kube.delete(existing);
      }
      return existing !== undefined;
    });
    process.stderr.write(
      `• repository ${url} ${replaced ? 'updated' : 'added'} (Secret ${o.controllerNamespace}/${secret.metadata.name ?? ''})\n`,
    );
  });
}

function listCommand(): Command {
  const cmd = new Command('list')
    .description('list registered repositories (never shows credentials)')
    .addOption(outputOption())
    .addHelpText('after', '\nExample:\n  sluice repo list -o json');
  return addOptions(cmd).action(async (o: RepoOptions & { output: OutputFormat }) => {
    const rows = await connect(o, async (kube) =>
      (await repoSecrets(kube, o.controllerNamespace))
        .map(describeRepoSecret)
        .filter((r): r is RepoRow => r !== undefined),
    );
    printData(o.output, rows, () =>
      rows.length === 0
        ? `no repositories registered in ${o.controllerNamespace}\n`
        : formatTable(
            ['URL', 'TYPE', 'AUTH', 'INSECURE', 'SECRET'],
            rows.map((r) => [r.url, r.type, r.auth, r.insecure ? 'yes' : '', r.secret]),
          ),
    );
  });
}

function rmCommand(): Command {
  const cmd = new Command('rm')
    .alias('remove')
    .description('forget a repository’s credentials (deletes its Secret)')
    .argument('<url>')
    .addHelpText('after', '\nExample:\n  sluice repo rm https://git.example.com/org');
  return addOptions(cmd).action(async (url: string, o: RepoOptions) => {
    const removed = await connect(o, async (kube) => {
      const matches = (await repoSecrets(kube, o.controllerNamespace)).filter((s) =>
        sameRepo(s, url),
      );
      for (const s of matches) await kube.delete(s);
      return matches.map((s) => s.metadata.name ?? '');
    });
    if (removed.length === 0)
      throw new SluiceError(
        'RepoNotFound',
        `repository ${url} is not registered in ${o.controllerNamespace}`,
        {
          exitCode: 3,
          hint: 'see `sluice repo list`',
        },
      );
    process.stderr.write(`• repository ${url} removed (Secret ${removed.join(', ')})\n`);
  });
}

export function repoCommand(): Command {
  return new Command('repo')
    .summary('register Git repository credentials (add, list, rm)')
    .description('Credentials for private repositories, as Secrets the controller reads.')
    .addCommand(addCommand())
    .addCommand(listCommand())
    .addCommand(rmCommand())
    .addHelpText(
      'after',
      '\nExample:\n  sluice repo add https://git.example.com/org --username bot --password-stdin',
    );
}
