/**
 * Where `sluice seal` gets keys: the certificate to seal for (`--cert FILE|URL`, else the newest
 * key Secret in `--controller-namespace`), and the private keys that open blobs
 * (`--recovery-private-key FILE`: PEM keys, or a backup of key Secrets as YAML/JSON, a List
 * included — kubeseal reads the same files; else the controller's key Secrets).
 */
import { readFile } from 'node:fs/promises';
import { SluiceError } from '../../errors.ts';
import type { Kube } from '../../kube/api.ts';
import { SealedError } from '../../sealed/errors.ts';
import {
  newestFirst,
  parseCertificate,
  parsePrivateKey,
  sealingKeyFromPem,
  sealingKeyFromPrivateKey,
  type SealingCertificate,
  type SealingKey,
} from '../../sealed/keys.ts';
import { readKeys, readNewestCertificate } from '../../sealed/keystore.ts';
import { parseDocuments } from './input.ts';

/** Reads a file, or says which file could not be read. */
export async function readInputFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SluiceError(
      'FileUnreadable',
      `cannot read ${what} ${path}: ${(err as Error).message}`,
      {
        exitCode: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 3 : 1,
      },
    );
  }
}

/** The certificate at a path or an http(s)/file URL. */
export async function loadCertificate(location: string): Promise<SealingCertificate> {
  let text: string;
  if (/^https?:\/\//.test(location)) {
    const res = await fetch(location).catch((err: unknown) => {
      throw new SluiceError('CertificateUnreachable', `cannot fetch ${location}: ${String(err)}`);
    });
    if (!res.ok) {
      throw new SluiceError(
        'CertificateUnreachable',
        `cannot fetch ${location}: HTTP ${res.status}`,
      );
    }
    text = await res.text();
  } else {
    const path = location.startsWith('file://') ? new URL(location).pathname : location;
    text = await readInputFile(path, 'the certificate');
  }
  return parseCertificate(text, `the certificate ${location}`);
}

/** The newest certificate of the controller's key Secrets. */
export async function clusterCertificate(
  kube: Kube,
  namespace: string,
): Promise<SealingCertificate> {
  const pem = await readNewestCertificate(kube, namespace);
  if (!pem) {
    throw new SealedError('NoKeys', `no sealing key in namespace ${namespace}`, {
      hint: 'is the controller running there? Pass --controller-namespace, or --cert FILE|URL',
      exitCode: 3,
    });
  }
  return parseCertificate(pem, `the certificate of namespace ${namespace}`);
}

/** The keys of one recovery file: a PEM private key, or key Secrets (YAML/JSON, Lists too). */
export async function loadPrivateKeys(path: string): Promise<SealingKey[]> {
  const text = await readInputFile(path, 'the private key');
  if (text.includes('-----BEGIN')) {
    return [sealingKeyFromPrivateKey(parsePrivateKey(text, path), path)];
  }
  const keys: SealingKey[] = [];
  for (const doc of parseDocuments(text, path)) {
    const s = doc as {
      kind?: unknown;
      metadata?: { name?: string };
      data?: Record<string, string>;
    };
    const tlsKey = s.data?.['tls.key'];
    if (s.kind !== 'Secret' || tlsKey === undefined) {
      throw new SealedError(
        'PrivateKeyInvalid',
        `${path}: a document is not a key Secret with tls.key`,
        {
          exitCode: 2,
        },
      );
    }
    const source = `${path}: Secret/${s.metadata?.name ?? ''}`;
    const keyPem = Buffer.from(tlsKey, 'base64').toString();
    const certPem = Buffer.from(s.data?.['tls.crt'] ?? '', 'base64').toString();
    keys.push(
      certPem
        ? sealingKeyFromPem(certPem, keyPem, source)
        : sealingKeyFromPrivateKey(parsePrivateKey(keyPem, source), source),
    );
  }
  return keys;
}

/** The keys given with --recovery-private-key, else the controller's; newest first. */
export async function loadKeys(
  files: readonly string[],
  cluster: () => Promise<{ kube: Kube; namespace: string }>,
): Promise<SealingKey[]> {
  if (files.length > 0) {
    const keys = (await Promise.all(files.map(loadPrivateKeys))).flat();
    return newestFirst(keys);
  }
  const { kube, namespace } = await cluster();
  const keys = await readKeys(kube, namespace);
  if (keys.length === 0) {
    throw new SealedError('NoKeys', `no sealing key readable in namespace ${namespace}`, {
      hint: 'reading keys needs the right to get Secrets there; or pass --recovery-private-key FILE',
      exitCode: 3,
    });
  }
  return keys;
}
