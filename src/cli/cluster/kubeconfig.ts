/**
 * A kubeconfig reduced to what one cluster Secret needs: one context, its cluster and its user,
 * with certificate files read and inlined (`*-data`), so the controller can use it anywhere.
 * Loading the user's file is @kubernetes/client-node's job (it resolves relative paths); reading
 * certificate files is injected, so this stays testable without a disk.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { SluiceError } from '../../errors.ts';

export interface FlatKubeconfig {
  /** The kubeconfig, as YAML. */
  kubeconfig: string;
  server: string;
  context: string;
  /** Things the controller may not be able to use (exec plugins, auth providers). */
  warnings: string[];
}

type ReadFile = (path: string) => Promise<Buffer>;

const usage = (message: string, hint?: string): SluiceError =>
  new SluiceError('BadFlag', message, { exitCode: 2, ...(hint ? { hint } : {}) });

async function inline(
  data: string | undefined,
  file: string | undefined,
  what: string,
  read: ReadFile,
): Promise<string | undefined> {
  if (data) return data;
  if (!file) return undefined;
  try {
    return (await read(file)).toString('base64');
  } catch (err) {
    throw usage(
      `cannot read the ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Drops undefined fields (YAML would print them as null). */
const defined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== false));

/** The context `name` (default: the current one) of `kc`, flattened; `server` overrides its URL. */
export async function flattenKubeconfig(
  kc: KubeConfig,
  options: { context?: string; server?: string; source: string },
  read: ReadFile,
): Promise<FlatKubeconfig> {
  const name = options.context ?? kc.getCurrentContext();
  const ctx = kc.getContextObject(name);
  if (!name || !ctx) {
    const known = kc.getContexts().map((c) => c.name);
    throw usage(
      `${options.source} has no context ${name ? `"${name}"` : '(and no current-context)'}`,
      known.length > 0 ? `its contexts: ${known.join(', ')}` : 'it has no contexts at all',
    );
  }
  const cluster = kc.getCluster(ctx.cluster);
  const user = kc.getUser(ctx.user);
  if (!cluster)
    throw usage(
      `${options.source}: context "${name}" names cluster "${ctx.cluster}", which is not in the file`,
    );
  if (!user)
    throw usage(
      `${options.source}: context "${name}" names user "${ctx.user}", which is not in the file`,
    );
  const server = options.server ?? cluster.server;
  const warnings: string[] = [];
  if (user.exec)
    warnings.push(
      `user "${user.name}" runs an exec plugin: the controller must be able to run it too`,
    );
  if (user.authProvider)
    warnings.push(
      `user "${user.name}" uses an auth provider: prefer a token or a client certificate`,
    );
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: ctx.cluster,
        cluster: defined({
          server,
          'certificate-authority-data': await inline(
            cluster.caData,
            cluster.caFile,
            'CA file',
            read,
          ),
          'insecure-skip-tls-verify': cluster.skipTLSVerify,
          'tls-server-name': cluster.tlsServerName,
          'proxy-url': cluster.proxyUrl,
        }),
      },
    ],
    users: [
      {
        name: ctx.user,
        user: defined({
          'client-certificate-data': await inline(
            user.certData,
            user.certFile,
            'client certificate',
            read,
          ),
          'client-key-data': await inline(user.keyData, user.keyFile, 'client key', read),
          token: user.token,
          username: user.username,
          password: user.password,
          exec: user.exec as unknown,
          'auth-provider': user.authProvider as unknown,
          as: user.impersonateUser,
        }),
      },
    ],
    contexts: [
      {
        name,
        context: defined({ cluster: ctx.cluster, user: ctx.user, namespace: ctx.namespace }),
      },
    ],
    'current-context': name,
  };
  return { kubeconfig: stringify(config), server, context: name, warnings };
}
