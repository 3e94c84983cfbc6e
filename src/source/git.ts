/**
 * Running git in a sealed environment: no system or user configuration, no inherited GIT_* or
 * ssh-agent variables, no prompts, English messages (they are classified), and only the
 * transports Sluice supports.
 */
import { execFile, type ExecResult } from '../util/exec.ts';
import { SourceError } from './errors.ts';

/** Configuration every git command gets (through GIT_CONFIG_*; see gitEnv). */
const BASE_CONFIG: ReadonlyArray<[string, string]> = [
  // No credential helper may answer, and a failed login must not prompt.
  ['credential.helper', ''],
  ['core.askPass', ''],
  // Automatic gc runs inside the fetch (and so inside the mirror's write lock), not detached.
  ['gc.autoDetach', 'false'],
  ['core.logAllRefUpdates', 'false'],
  ['advice.detachedHead', 'false'],
];

const DROPPED_ENV = /^(GIT_|SSH_AUTH_SOCK$|SSH_ASKPASS|DISPLAY$|LANG$|LANGUAGE$|LC_)/;

/**
 * The environment for a git command: the process environment (PATH, proxies, CA settings) minus
 * everything that could change git's behaviour, plus `config` as GIT_CONFIG_* entries and
 * `extra`. `home` is a Sluice-owned directory, so no user configuration is read.
 */
export function gitEnv(
  home: string,
  config: ReadonlyArray<[string, string]> = [],
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!DROPPED_ENV.test(k)) env[k] = v;
  const all = [...BASE_CONFIG, ...config];
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    GIT_ALLOW_PROTOCOL: 'http:https:ssh:git:file',
    GIT_CONFIG_COUNT: String(all.length),
  });
  all.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return Object.assign(env, extra);
}

export interface RunGitOptions {
  /** The repository, for messages (already redacted). */
  repoURL: string;
  env: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/**
 * Runs git with `args` (no working directory: callers pass `--git-dir`, so a missing directory
 * is reported by git rather than mistaken for a missing git); resolves whatever the exit code; GitMissing when git cannot start. */
export async function runGit(args: readonly string[], options: RunGitOptions): Promise<ExecResult> {
  try {
    return await execFile('git', args, {
      env: options.env,
      ...(options.input !== undefined ? { input: options.input } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new SourceError('GitMissing', `repo ${options.repoURL}: git is not installed`, {
        repoURL: options.repoURL,
        hint: 'install git (e.g. `apt-get install git`) and make sure it is on the PATH',
        cause: err,
      });
    }
    throw err;
  }
}
