/**
 * Certificates for a dev cluster, made with the `openssl` CLI: one CA, a serving certificate for
 * kube-apiserver, a client certificate per component, and the service-account signing key.
 * Keys are EC P-256 (fast to generate). Nothing leaves the cluster's own directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile, tail } from '../util/exec.ts';
import { DevClusterError } from './errors.ts';

/** The in-cluster address of the `kubernetes` Service: first IP of the service range. */
export const SERVICE_CIDR = '10.96.0.0/16';
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

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

interface LeafSpec {
  file: string;
  subject: string;
  san?: string;
  usage: 'serverAuth,clientAuth' | 'clientAuth';
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
  ];
  await Promise.all(
    leaves.map(async (leaf) => {
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
    }),
  );
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
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
  };
}
