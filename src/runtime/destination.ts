/**
 * Where an Application's objects go: its `spec.destination` resolved to the local cluster (the
 * controller's own) or to a cluster registered by a Secret (see src/api/cluster.ts). Pure: the
 * registry (clusters.ts) feeds it what the Secrets say, so every case is a row in a unit test.
 *
 * ```
 * destination                                   resolves to
 * (nothing), name: in-cluster,                  the local cluster
 * server: https://kubernetes.default.svc,
 * server: <the local kubeconfig's server>
 * name: prod                                    the Secret whose `name` is prod
 * server: https://prod:6443                     the Secret whose `server` is that
 * both, naming different clusters               DestinationError (conflict)
 * a name or server no Secret registers          DestinationError (unknown)
 * ```
 */
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER, type ClusterSpec } from '../api/cluster.ts';
import { SluiceError } from '../errors.ts';

/** `spec.destination` of an Application (the fields that pick a cluster). */
export interface Destination {
  server?: string;
  name?: string;
  namespace?: string;
}

/** A cluster Secret as the resolver sees it: usable (`spec`) or not (`problem`). */
export interface RegisteredCluster {
  secretName: string;
  /** The name it registers (`name`, else `server`); may be empty when the Secret is broken. */
  name: string;
  server: string;
  spec?: ClusterSpec;
  /** Why the Secret cannot be used, naming the Secret and the field to fix. */
  problem?: string;
}

export type Resolution =
  | { local: true; name: typeof IN_CLUSTER_NAME }
  | { local: false; name: string; cluster: ClusterSpec };

/** What is wrong with a destination, as data (tests and callers never read the message). */
export type DestinationProblem = 'unknown' | 'conflict' | 'ambiguous' | 'unusable';

/** An app's destination names no usable cluster: nothing of the app can be applied anywhere. */
export class DestinationError extends SluiceError {
  readonly reason = 'InvalidDestination' as const;
  readonly problem: DestinationProblem;
  /** The cluster as the destination names it (a name or a server). */
  readonly cluster: string;
  constructor(
    problem: DestinationProblem,
    cluster: string,
    message: string,
    hint: string,
    cause?: unknown,
  ) {
    super('InvalidDestination', message, { hint, cause });
    this.name = 'DestinationError';
    this.problem = problem;
    this.cluster = cluster;
  }
}

/** A registered cluster that does not answer (its API server is down or unreachable). */
export class ClusterUnavailableError extends SluiceError {
  readonly reason = 'ClusterUnreachable' as const;
  readonly cluster: string;
  constructor(owner: string, cluster: string, server: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'ClusterUnreachable',
      `${owner}: cluster "${cluster}" (${server}) is unreachable: ${why}`,
      {
        hint: `Sluice retries by itself; check that the cluster runs and that its Secret's credentials are valid (\`sluice cluster list\`)`,
        cause,
      },
    );
    this.name = 'ClusterUnavailableError';
    this.cluster = cluster;
  }
}

/** `https://Host:443/` and `https://host` are the same server. */
export function normalizeServer(server: string): string {
  const s = server.trim();
  try {
    const u = new URL(s);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return s.replace(/\/+$/, '').toLowerCase();
  }
}

const ADD_HINT = (name: string): string =>
  `register it with \`sluice cluster add ${name} --kubeconfig FILE\`; \`sluice cluster list\` shows the registered clusters`;

function pick(
  owner: string,
  wanted: string,
  matches: readonly RegisteredCluster[],
): Resolution | DestinationError {
  const [first, second] = matches;
  if (!first)
    return new DestinationError(
      'unknown',
      wanted,
      `${owner}: destination cluster "${wanted}" is not registered`,
      ADD_HINT(wanted.includes('://') ? 'NAME' : wanted),
    );
  if (second)
    return new DestinationError(
      'ambiguous',
      wanted,
      `${owner}: destination cluster "${wanted}" is registered more than once (Secrets ${matches.map((m) => m.secretName).join(', ')})`,
      'remove all but one of those Secrets (`sluice cluster rm NAME`), or name the cluster by destination.name',
    );
  if (!first.spec)
    return new DestinationError(
      'unusable',
      wanted,
      `${owner}: destination cluster "${wanted}" is registered but cannot be used: ${first.problem ?? 'no credentials'}`,
      `register it again: \`sluice cluster add ${first.name || 'NAME'} --kubeconfig FILE\``,
    );
  return { local: false, name: first.spec.name, cluster: first.spec };
}

function conflict(owner: string, name: string, server: string, named: string): DestinationError {
  return new DestinationError(
    'conflict',
    name,
    `${owner}: destination name "${name}" and server ${server} are different clusters ("${name}" is ${named})`,
    'set only one of spec.destination.name and spec.destination.server (`sluice cluster list` shows both)',
  );
}

const LOCAL = { local: true, name: IN_CLUSTER_NAME } as const;

const sameServer = (a: string, b: string): boolean => normalizeServer(a) === normalizeServer(b);

/**
 * Resolves a destination. `owner` names the app in errors (`Application shop/web`);
 * `localServer` is the controller's own API server (from its kubeconfig).
 */
export function resolveDestination(
  owner: string,
  destination: Destination,
  registered: readonly RegisteredCluster[],
  localServer: string,
): Resolution | DestinationError {
  const name = destination.name?.trim() || undefined;
  const server = destination.server?.trim() || undefined;
  const isLocal = (s: string | undefined): boolean =>
    s === undefined || sameServer(s, IN_CLUSTER_SERVER) || sameServer(s, localServer);
  if (name === undefined)
    return isLocal(server)
      ? LOCAL
      : pick(
          owner,
          server ?? '',
          registered.filter((r) => sameServer(r.server, server ?? '')),
        );
  if (name === IN_CLUSTER_NAME)
    return isLocal(server) ? LOCAL : conflict(owner, name, server ?? '', IN_CLUSTER_SERVER);
  const found = pick(
    owner,
    name,
    registered.filter((r) => r.name === name),
  );
  // Both given: they must name the same cluster.
  if (found instanceof DestinationError || server === undefined || found.local) return found;
  return sameServer(found.cluster.server, server)
    ? found
    : conflict(owner, name, server, found.cluster.server);
}
