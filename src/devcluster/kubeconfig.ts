/** Kubeconfig files for the dev cluster: one for people and tests, one per component. */
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { ClientCert } from './pki.ts';

export interface KubeconfigSpec {
  clusterName: string;
  server: string;
  caCert: string;
  user: string;
  client: ClientCert;
  /** Embed the certificates (portable file for people) instead of pointing at them. */
  embed: boolean;
  /** The name to check the server's certificate against, when `server` is an address it lacks. */
  tlsServerName?: string;
}

export async function renderKubeconfig(spec: KubeconfigSpec): Promise<string> {
  const context = `sluice-${spec.clusterName}`;
  const b64 = async (f: string): Promise<string> => (await readFile(f)).toString('base64');
  const cluster = {
    server: spec.server,
    ...(spec.embed
      ? { 'certificate-authority-data': await b64(spec.caCert) }
      : { 'certificate-authority': spec.caCert }),
    ...(spec.tlsServerName ? { 'tls-server-name': spec.tlsServerName } : {}),
  };
  const user = spec.embed
    ? {
        'client-certificate-data': await b64(spec.client.cert),
        'client-key-data': await b64(spec.client.key),
      }
    : { 'client-certificate': spec.client.cert, 'client-key': spec.client.key };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster }],
    users: [{ name: spec.user, user }],
    contexts: [{ name: context, context: { cluster: context, user: spec.user } }],
    'current-context': context,
  });
}

export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  await writeFile(path, await renderKubeconfig(spec), { mode: 0o600 });
}
