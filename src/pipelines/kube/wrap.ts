/**
 * Steps with their own `timeout` or `onError: continue` on the cluster (pure). Init containers
 * stop the pod at the first non-zero exit and know no per-container deadline, so such a step runs
 * under a small shell wrapper: a first init container copies the helper image's static busybox
 * into an emptyDir (`/sluice/bin`), and the step's command becomes
 * `/sluice/bin/busybox sh -c WRAPPER sluice-step <the step's own command…>`. The wrapper runs the
 * command, stops it (TERM, then KILL) when the step's timeout passes, writes the real exit code
 * and whether it timed out to the container's termination message, and exits 0 when the step
 * may fail (`continue`) — so the next step runs and the status still shows what happened.
 * Nothing of ours goes into the user's image; steps without these fields run unwrapped.
 *
 * A step with neither `script` nor `command` runs its image's entrypoint, which the pod spec
 * cannot name: it cannot be wrapped, and is refused with a message saying so.
 */
import type { ResolvedStep } from '../task/resolve.ts';
import type { StepEnd } from '../task/stepend.ts';
import type { Container } from './pods.ts';

export const TOOLS_DIR = '/sluice/bin';
export const TOOLS_VOLUME = 'sluice-tools';
export const TOOLS_CONTAINER = 'sluice-tools';
const BUSYBOX = `${TOOLS_DIR}/busybox`;

const WRAPPER = [
  `b=${BUSYBOX}`,
  '"$@" &',
  'pid=$!',
  'w=',
  'if [ -n "$SLUICE_STEP_TIMEOUT" ]; then',
  `  ( $b sleep "$SLUICE_STEP_TIMEOUT"; $b touch "${TOOLS_DIR}/timedout-$SLUICE_STEP"; kill -TERM $pid 2>/dev/null; $b sleep 2; kill -KILL $pid 2>/dev/null ) &`,
  '  w=$!',
  'fi',
  'wait $pid',
  'code=$?',
  '[ -n "$w" ] && kill $w 2>/dev/null',
  't=0',
  `[ -e "${TOOLS_DIR}/timedout-$SLUICE_STEP" ] && t=1`,
  'printf \'sluice-step exitCode=%s timedOut=%s\\n\' "$code" "$t" > /dev/termination-log',
  '[ "$SLUICE_ON_ERROR" = continue ] && exit 0',
  'exit $code',
].join('\n');

export const needsWrapper = (s: ResolvedStep): boolean =>
  s.timeoutMs !== undefined || s.onError === 'continue';

/** Why the step cannot be wrapped, or undefined. */
export function unwrappable(s: ResolvedStep): string | undefined {
  if (!needsWrapper(s) || s.script !== undefined || s.command?.length) return undefined;
  const what = s.timeoutMs !== undefined ? 'a step `timeout`' : '`onError: continue`';
  return `step "${s.name}": ${what} needs the step's command (its image's entrypoint cannot be named in a pod spec); give the step a \`command\` or a \`script\``;
}

/** The first init container: the helper image's busybox, copied where wrapped steps find it. */
export function toolsContainer(helperImage: string): Container {
  return {
    name: TOOLS_CONTAINER,
    image: helperImage,
    imagePullPolicy: 'IfNotPresent',
    command: ['/bin/busybox', 'cp', '/bin/busybox', BUSYBOX],
    volumeMounts: [{ name: TOOLS_VOLUME, mountPath: TOOLS_DIR }],
  };
}

/** A step's container under the wrapper (`c` as built for the step unwrapped). */
export function wrapContainer(s: ResolvedStep, c: Container): Container {
  const { args, ...rest } = c;
  const env = [
    ...(c.env ?? []),
    { name: 'SLUICE_STEP', value: s.container },
    ...(s.timeoutMs !== undefined
      ? [{ name: 'SLUICE_STEP_TIMEOUT', value: String(s.timeoutMs / 1000) }]
      : []),
    { name: 'SLUICE_ON_ERROR', value: s.onError },
  ];
  return {
    ...rest,
    command: [BUSYBOX, 'sh', '-c', WRAPPER, 'sluice-step', ...(c.command ?? []), ...(args ?? [])],
    env,
    volumeMounts: [...(c.volumeMounts ?? []), { name: TOOLS_VOLUME, mountPath: TOOLS_DIR }],
  };
}

/** What the wrapper wrote in a step's termination message, if it ran. */
export function wrappedEnd(message: string | undefined): StepEnd | undefined {
  const m = /sluice-step exitCode=(\d+) timedOut=([01])/.exec(message ?? '');
  return m ? { exitCode: Number(m[1]), timedOut: m[2] === '1' } : undefined;
}
