/**
 * Credentials of a long-running client: an in-cluster ServiceAccount token is a file the kubelet
 * rotates; the client must send the new one, not the token it read at start-up.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KubeClient } from './client.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-client-'));
});

afterEach(async () => {
  vi.useRealTimers();
  await rm(dir, { recursive: true, force: true });
});

/** What `loadFromCluster` builds inside a pod, with the token file at `tokenFile`. */
function inClusterConfig(tokenFile: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'inCluster', server: 'https://127.0.0.1:6443', skipTLSVerify: false },
    { name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile } } },
  );
  return kc;
}

describe('KubeClient credentials', () => {
  it('sends the rotated ServiceAccount token once the refresh interval has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'first-token');
    const client = await KubeClient.fromKubeConfig(inClusterConfig(tokenFile));
    try {
      expect((await client.requestHeaders())['authorization']).toBe('Bearer first-token');
      await writeFile(tokenFile, 'rotated-token'); // the kubelet swaps the file
      vi.setSystemTime(Date.now() + 30_000);
      expect((await client.requestHeaders())['authorization']).toBe('Bearer first-token');
      vi.setSystemTime(Date.now() + 31_000);
      expect((await client.requestHeaders())['authorization']).toBe('Bearer rotated-token');
    } finally {
      await client.close();
    }
  });

  it('keeps the last good credentials when asking again fails, and tries again at once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'good-token');
    const client = await KubeClient.fromKubeConfig(inClusterConfig(tokenFile));
    try {
      await rm(tokenFile);
      vi.setSystemTime(Date.now() + 61_000);
      expect((await client.requestHeaders())['authorization']).toBe('Bearer good-token');
      await writeFile(tokenFile, 'new-token');
      expect((await client.requestHeaders())['authorization']).toBe('Bearer new-token');
    } finally {
      await client.close();
    }
  });

  it('a static token stays what the kubeconfig says', async () => {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser(
      { name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false },
      { name: 'u', token: 'static' },
    );
    const client = await KubeClient.fromKubeConfig(kc, { authRefreshMs: 0 });
    try {
      expect((await client.requestHeaders())['authorization']).toBe('Bearer static');
      expect((await client.requestHeaders())['authorization']).toBe('Bearer static');
    } finally {
      await client.close();
    }
  });
});
