/**
 * Certificates for a dev cluster, made with the `openssl` CLI: one CA, a serving certificate for
 * kube-apiserver, a client certificate per component, and the service-account signing key.
 * Keys are EC P-256 (fast to generate). Nothing leaves the cluster's own directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile, tail } from '../util/exec.ts';
import { KUBERNETES_SERVICE_IP } from './addresses.ts';
import { DevClusterError } from './errors.ts';

export interface ClientCert {
  cert: string;
  key: string;
}

export interface Pki {
  caCert: string;
  caKey: string;
  apiserver: ClientCert;
  /** kube-apiserver's own client identity towards kubelets/aggregated APIs. */
  admin: ClientCert;
  controllerManager: ClientCert;
  scheduler: ClientCert;
  kwok: ClientCert;
  kubeletClient: ClientCert;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[], what: string): Promise<void> {
  let r;
  try {
    r = await execFile('openssl', args, { timeoutMs: 60_000 });
  } catch (err) {
    throw new DevClusterError('ToolMissing', 'openssl is not installed', {
      cause: err,
      hint: 'install it (`apt-get install openssl`); the dev cluster uses it to make its certificates',
    });
  }
  if (r.code !== 0) {
    throw new DevClusterError(
      'ToolMissing',
      `openssl failed while making ${what}:\n${tail(r.stderr, 10)}`,
    );
  }
}

async function ecKey(path: string): Promise<void> {
  await openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path],
    path,
  );
}

export interface LeafSpec {
  file: string;
  subject: string;
  san?: string;
  usage: 'serverAuth,clientAuth' | 'clientAuth' | 'serverAuth';
}

/** Issues one certificate signed by the cluster CA (`<dir>/ca.crt`, `<dir>/ca.key`). */
export async function issueLeaf(dir: string, leaf: LeafSpec): Promise<ClientCert> {
  const p = (f: string): string => join(dir, f);
  await ecKey(p(`${leaf.file}.key`));
  const ext = [
    `extendedKeyUsage=${leaf.usage}`,
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'basicConstraints=critical,CA:FALSE',
  ];
  if (leaf.san) ext.push(`subjectAltName=${leaf.san}`);
  await writeFile(p(`${leaf.file}.ext`), ext.join('\n') + '\n');
  await openssl(
    [
      'req',
      '-new',
      '-key',
      p(`${leaf.file}.key`),
      '-subj',
      leaf.subject,
      '-out',
      p(`${leaf.file}.csr`),
    ],
    `${leaf.file} CSR`,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      p(`${leaf.file}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '3650',
      '-extfile',
      p(`${leaf.file}.ext`),
      '-out',
      p(`${leaf.file}.crt`),
    ],
    `${leaf.file} certificate`,
  );
  return { cert: p(`${leaf.file}.crt`), key: p(`${leaf.file}.key`) };
}

export async function generatePki(dir: string, clusterName: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const p = (f: string): string => join(dir, f);
  await ecKey(p('ca.key'));
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      p('ca.key'),
      '-subj',
      `/CN=sluice-dev-${clusterName}-ca`,
      '-days',
      '3650',
      '-out',
      p('ca.crt'),
    ],
    'the cluster CA',
  );
  const leaves: LeafSpec[] = [
    {
      file: 'apiserver',
      subject: '/CN=kube-apiserver',
      san: [
        'IP:127.0.0.1',
        `IP:${KUBERNETES_SERVICE_IP}`,
        'DNS:localhost',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'DNS:kubernetes.default.svc.cluster.local',
      ].join(','),
      usage: 'serverAuth,clientAuth',
    },
    { file: 'admin', subject: '/O=system:masters/CN=sluice-admin', usage: 'clientAuth' },
    {
      file: 'controller-manager',
      subject: '/CN=system:kube-controller-manager',
      usage: 'clientAuth',
    },
    { file: 'scheduler', subject: '/CN=system:kube-scheduler', usage: 'clientAuth' },
    { file: 'kwok', subject: '/O=system:masters/CN=kwok-controller', usage: 'clientAuth' },
    // kube-apiserver's identity towards kubelets (logs, exec, port-forward).
    {
      file: 'apiserver-kubelet-client',
      subject: '/O=system:masters/CN=kube-apiserver-kubelet-client',
      usage: 'clientAuth',
    },
  ];
  await Promise.all(leaves.map((leaf) => issueLeaf(dir, leaf)));
  await ecKey(p('sa.key'));
  await openssl(
    ['pkey', '-in', p('sa.key'), '-pubout', '-out', p('sa.pub')],
    'the service-account public key',
  );
  const pair = (f: string): ClientCert => ({ cert: p(`${f}.crt`), key: p(`${f}.key`) });
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    apiserver: pair('apiserver'),
    admin: pair('admin'),
    controllerManager: pair('controller-manager'),
    scheduler: pair('scheduler'),
    kwok: pair('kwok'),
    kubeletClient: pair('apiserver-kubelet-client'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
  };
}

export interface NodePki {
  kubelet: ClientCert;
  kubeletServing: ClientCert;
  kubeProxy: ClientCert;
  coredns: ClientCert;
}

/** The real node's identities: kubelet (Node authorizer), its serving cert, kube-proxy, CoreDNS. */
export async function generateNodePki(
  dir: string,
  nodeName: string,
  nodeIp: string,
): Promise<NodePki> {
  const [kubelet, kubeletServing, kubeProxy, coredns] = await Promise.all([
    issueLeaf(dir, {
      file: 'kubelet',
      subject: `/O=system:nodes/CN=system:node:${nodeName}`,
      usage: 'clientAuth',
    }),
    issueLeaf(dir, {
      file: 'kubelet-serving',
      subject: `/CN=${nodeName}`,
      san: `IP:${nodeIp},DNS:${nodeName}`,
      usage: 'serverAuth',
    }),
    issueLeaf(dir, { file: 'kube-proxy', subject: '/CN=system:kube-proxy', usage: 'clientAuth' }),
    issueLeaf(dir, { file: 'coredns', subject: '/CN=sluice:coredns', usage: 'clientAuth' }),
  ]);
  return { kubelet, kubeletServing, kubeProxy, coredns };
}
