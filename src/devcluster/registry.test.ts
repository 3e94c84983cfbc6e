import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DevClusterError } from './errors.ts';
import { inNetns, registryConfig, startRegistry } from './registry.ts';

describe('registry config', () => {
  const cfg = parse(
    registryConfig({ rootDir: '/cache/reg dir', listen: '198.18.0.2:5000', secret: 's3' }),
  ) as Record<string, Record<string, unknown>>;

  it('stores images on the filesystem under rootDir, deletes allowed', () => {
    expect(cfg['storage']).toEqual({
      filesystem: { rootdirectory: '/cache/reg dir' },
      delete: { enabled: true },
    });
  });

  it('listens where it is told, with a fixed upload secret and no auth or TLS', () => {
    expect(cfg['http']).toEqual({ addr: '198.18.0.2:5000', secret: 's3' });
    expect(cfg).not.toHaveProperty('auth');
  });

  it('logs warnings only and no access log', () => {
    expect(cfg['log']).toEqual({ level: 'warn', accesslog: { disabled: true } });
    expect(cfg['version']).toBe(0.1);
  });
});

describe('inNetns', () => {
  it('runs the command as is without a namespace', () => {
    expect(inNetns(undefined, '/usr/bin/docker-registry', ['serve', 'c.yml'])).toEqual({
      binary: '/usr/bin/docker-registry',
      args: ['serve', 'c.yml'],
    });
  });

  it('enters the named network namespace through nsenter', () => {
    expect(inNetns('sluice-rn', '/usr/bin/docker-registry', ['serve', 'c.yml'])).toEqual({
      binary: '/usr/bin/nsenter',
      args: ['--net=/var/run/netns/sluice-rn', '--', '/usr/bin/docker-registry', 'serve', 'c.yml'],
    });
  });
});

describe('startRegistry', () => {
  it('says how to install docker-registry when it is missing', async () => {
    const err = await startRegistry({
      rootDir: '/nonexistent/store',
      listen: '127.0.0.1:1',
      log: '/nonexistent/log',
      configPath: '/nonexistent/config.yml',
      binary: '/nonexistent/docker-registry',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevClusterError);
    expect(err).toMatchObject({ code: 'ToolMissing' });
    expect((err as DevClusterError).hint).toContain('apt-get install docker-registry');
  });
});
