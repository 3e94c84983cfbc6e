/**
 * `sluice set-image`: write an image into manifests in Git (a Kustomization's `images:` or a
 * Helm values key), commit with a message naming what and why, and push — never forced; a
 * branch that moved meanwhile is fetched again and the edit re-applied. The catalog's `set-image`
 * task runs it in a pod. `--dry-run` prints the coloured diff instead of committing.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  kustomizeImageEdit,
  renderTemplate,
  valuesEdit,
  writeToGit,
  type EditOutcome,
  type GitWriteResult,
} from '../../delivery/gitwrite/index.ts';
import type { RepoCredentials } from '../../source/index.ts';
import { readFileSync } from 'node:fs';
import { colorDiff, useColor } from '../context.ts';
import { printData, type OutputFormat } from '../output.ts';
import {
  DEFAULT_MESSAGE,
  messageData,
  planTarget,
  sourceCommitTimeArg,
  targetImages,
  targetPlace,
  type SetImageFlags,
  type SetImageTarget,
} from './set-image-plan.ts';

interface Flags extends SetImageFlags {
  authorName: string;
  authorEmail: string;
  dryRun?: boolean;
  attempts: number;
  insecureSkipTlsVerify?: boolean;
  output: OutputFormat;
}

/** Repository credentials from the environment: never from the command line (ps shows it). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): RepoCredentials {
  const c: RepoCredentials = {};
  if (env['SLUICE_GIT_USERNAME']) c.username = env['SLUICE_GIT_USERNAME'];
  if (env['SLUICE_GIT_PASSWORD']) c.password = env['SLUICE_GIT_PASSWORD'];
  if (env['SLUICE_GIT_TOKEN']) c.bearerToken = env['SLUICE_GIT_TOKEN'];
  const keyFile = env['SLUICE_GIT_SSH_KEY_FILE'];
  if (env['SLUICE_GIT_SSH_KEY']) c.sshPrivateKey = env['SLUICE_GIT_SSH_KEY'];
  else if (keyFile) c.sshPrivateKey = readFileSync(keyFile, 'utf8');
  const hostsFile = env['SLUICE_GIT_SSH_KNOWN_HOSTS_FILE'];
  if (env['SLUICE_GIT_SSH_KNOWN_HOSTS']) c.sshKnownHosts = env['SLUICE_GIT_SSH_KNOWN_HOSTS'];
  else if (hostsFile) c.sshKnownHosts = readFileSync(hostsFile, 'utf8');
  return c;
}

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number, 1 or more');
  return n;
};

function editOf(t: SetImageTarget): (dir: string) => Promise<EditOutcome> {
  return t.kind === 'kustomize'
    ? kustomizeImageEdit(t.path, t.images)
    : valuesEdit(t.file, t.values);
}

function report(o: Flags, t: SetImageTarget, r: GitWriteResult): string {
  const where = `${targetPlace(t)} on ${r.branch}`;
  if (o.dryRun === true) {
    if (r.diff === undefined)
      return `no change: ${where} already has ${targetImages(t).join(', ')}\n`;
    const diff = useColor() ? colorDiff(r.diff) : r.diff;
    return `${diff.endsWith('\n') ? diff : `${diff}\n`}(dry run: nothing committed; the message would be)\n${r.message ?? ''}\n`;
  }
  if (!r.pushed)
    return `no change: ${where} already has ${targetImages(t).join(', ')} (no commit)\n`;
  const retried =
    r.attempts > 1
      ? ` after ${r.attempts - 1} retr${r.attempts > 2 ? 'ies' : 'y'} (the branch had moved)`
      : '';
  return `pushed ${r.commit ?? ''} to ${r.branch}${retried}: ${targetImages(t).join(', ')} in ${targetPlace(t)}\n`;
}

async function run(o: Flags): Promise<void> {
  const target = planTarget(o);
  const template = o.message ?? DEFAULT_MESSAGE;
  // A broken template fails before anything is fetched.
  renderTemplate(template, messageData(o, target, { files: [] }));
  const creds = credentialsFromEnv();
  if (o.insecureSkipTlsVerify === true) creds.insecureSkipTLSVerify = true;
  const result = await writeToGit({
    repoURL: o.repo,
    branch: o.branch,
    ...(o.pushBranch ? { pushBranch: o.pushBranch } : {}),
    credentials: creds,
    author: { name: o.authorName, email: o.authorEmail },
    edit: editOf(target),
    message: (edit) => renderTemplate(template, messageData(o, target, edit)).trim() + '\n',
    attempts: o.attempts,
    ...(o.dryRun === true ? { dryRun: true } : {}),
    onRetry: (n, reason) =>
      process.stderr.write(`push ${n} met a newer head (${reason}); fetching and trying again\n`),
  });
  printData(o.output, result, () => report(o, target, result));
}

export function setImageCommand(): Command {
  const env = process.env;
  return new Command('set-image')
    .description(
      "write an image into manifests in Git (a Kustomization's images: or a Helm values key), commit and push — never forced",
    )
    .requiredOption('--repo <url>', 'the repository (https, ssh or file://)')
    .requiredOption('--branch <name>', 'the branch to edit')
    .option('--push-branch <name>', 'push there instead (created from --branch when missing)')
    .option('--path <dir>', 'a Kustomization directory: set its images: entry')
    .option(
      '--image <[name=]ref>',
      'registry/app:tag[@digest]; with --path, name= picks the images: entry (default: the image name) (repeatable)',
      (v: string, p: string[]) => [...p, v],
      [],
    )
    .option('--values-file <file>', 'a Helm values file: set --key')
    .option('--key <path>', "the values key, dotted (image.tag); gets --value, else --image's tag")
    .option('--digest-key <path>', "also set this key to --image's digest (image.digest)")
    .option('--value <value>', 'the value for --key')
    .option('--message <template>', 'commit message template (see below)')
    .option('--source-commit <sha>', 'the commit the image was built from (.SourceCommit)')
    .option(
      '--source-commit-time <time>',
      'when the source commit was made (RFC 3339 or epoch seconds); lead time runs from it (.SourceCommitTime)',
      sourceCommitTimeArg,
    )
    .option('--run <name>', 'the pipeline run that built it (.Run)')
    .option('--author-name <name>', 'commit author', env['SLUICE_GIT_AUTHOR_NAME'] ?? 'Sluice')
    .option(
      '--author-email <email>',
      'commit author email',
      env['SLUICE_GIT_AUTHOR_EMAIL'] ?? 'sluice@sluice.dev',
    )
    .option('--attempts <n>', 'pushes tried when others push first', positive, 5)
    .option('--insecure-skip-tls-verify', "https: do not verify the server's certificate")
    .option('--dry-run', 'fetch and edit, print the diff and the message; commit nothing')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .addHelpText(
      'after',
      '\nCredentials come from the environment: SLUICE_GIT_USERNAME + SLUICE_GIT_PASSWORD, or\n' +
        'SLUICE_GIT_TOKEN (bearer), or SLUICE_GIT_SSH_KEY / SLUICE_GIT_SSH_KEY_FILE (with\n' +
        'SLUICE_GIT_SSH_KNOWN_HOSTS / _FILE the only host keys trusted; else trusted on first use).\n' +
        'Author: --author-name/--author-email, else $SLUICE_GIT_AUTHOR_NAME / $SLUICE_GIT_AUTHOR_EMAIL.\n' +
        '\nMessage templates use Go template syntax with .Image, .Images, .Target, .SourceCommit,\n' +
        '.SourceCommitTime, .Run, .Repo, .Branch and .Changes (each .File .Path .OldValue .NewValue);\n' +
        'functions print, println, lower, upper, trim, short (first 7 characters). The default message\n' +
        'has "Source commit:" and "Source commit time:" lines: sluice dora measures lead time from the\n' +
        'source commit time, and promotions carry both lines on (keep them in your own template).\n' +
        '\nExamples:\n' +
        '  sluice set-image --repo https://git.example.com/org/deploy.git --branch main \\\n' +
        '    --path envs/dev --image web=localhost:5000/web:3f2a9c1 --source-commit 3f2a9c1 \\\n' +
        '    --source-commit-time 2026-12-01T09:40:00Z --run ci-x7k2p\n' +
        '  sluice set-image --repo file:///srv/deploy.git --branch main --values-file charts/web/values-dev.yaml \\\n' +
        `    --key image.tag --digest-key image.digest --image localhost:5000/web:1.4.0@sha256:<digest>\n` +
        "  sluice set-image ... --dry-run --message 'deploy {{ .Image }} ({{ .SourceCommit | short }})'\n" +
        '\nExit codes: 0 pushed or nothing to change, 1 failed, 2 bad usage.',
    )
    .action(run);
}
