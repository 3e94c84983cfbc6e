import { describe, expect, it } from 'vitest';
import { dockerConfigCredentials, parseChallenge, secretCredentials, secretData } from './auth.ts';
import { nextLink } from './registry.ts';
import { repositoryAddress } from './reference.ts';

describe('repositoryAddress', () => {
  it.each([
    [
      'localhost:5000/shop/web',
      false,
      {
        host: 'localhost:5000',
        path: 'shop/web',
        canonical: 'localhost:5000/shop/web',
        scheme: 'http',
      },
    ],
    ['198.18.0.2:5000/web', true, { host: '198.18.0.2:5000', path: 'web', scheme: 'http' }],
    ['198.18.0.2:5000/web', false, { scheme: 'https' }],
    ['ghcr.io/org/app', false, { host: 'ghcr.io', path: 'org/app', scheme: 'https' }],
    [
      'alpine',
      false,
      {
        host: 'registry-1.docker.io',
        path: 'library/alpine',
        canonical: 'index.docker.io/library/alpine',
      },
    ],
    [
      'docker.io/bitnami/nginx',
      false,
      {
        host: 'registry-1.docker.io',
        path: 'bitnami/nginx',
        canonical: 'index.docker.io/bitnami/nginx',
      },
    ],
    ['127.0.0.1:5001/a', false, { scheme: 'http' }],
  ] as const)('%s (insecure %s)', (image, insecure, want) => {
    expect(repositoryAddress(image, insecure)).toMatchObject(want);
  });

  it.each(['', 'web:v1', 'localhost:5000/web:v1', 'web@sha256:abc', 'Web'])('refuses %j', (image) =>
    expect(repositoryAddress(image, false)).toBeUndefined(),
  );
});

describe('registry credentials', () => {
  const config = JSON.stringify({
    auths: {
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:hubpw').toString('base64') },
      'registry.example.com:5000': { username: 'bot', password: 's3cret' },
    },
  });
  it('finds the entry of the registry host, Docker Hub under any of its names', () => {
    expect(dockerConfigCredentials(config, 'registry.example.com:5000')).toEqual({
      username: 'bot',
      password: 's3cret',
    });
    expect(dockerConfigCredentials(config, 'registry-1.docker.io')).toEqual({
      username: 'hub',
      password: 'hubpw',
    });
    expect(dockerConfigCredentials(config, 'ghcr.io')).toBeUndefined();
    expect(dockerConfigCredentials('not json', 'ghcr.io')).toBeUndefined();
  });

  it('reads docker-registry Secrets and plain username/password ones', () => {
    const docker = secretData({
      data: { '.dockerconfigjson': Buffer.from(config).toString('base64') },
    });
    expect(secretCredentials(docker, 'registry.example.com:5000')).toEqual({
      username: 'bot',
      password: 's3cret',
    });
    expect(secretCredentials({ username: 'u', password: 'p' }, 'any')).toEqual({
      username: 'u',
      password: 'p',
    });
    expect(secretCredentials({ username: 'u' }, 'any')).toBeUndefined();
    expect(
      secretData({ data: { a: Buffer.from('x').toString('base64') }, stringData: { b: 'y' } }),
    ).toEqual({ a: 'x', b: 'y' });
  });
});

describe('parseChallenge', () => {
  it.each([
    ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    [
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:shop/web:pull"',
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example.com/token',
          service: 'registry.example.com',
          scope: 'repository:shop/web:pull',
        },
      },
    ],
    ['Negotiate', { scheme: 'other', params: {} }],
  ])('%s', (header, want) => expect(parseChallenge(header)).toEqual(want));

  it('is undefined without a header', () => expect(parseChallenge(null)).toBeUndefined());
});

describe('nextLink', () => {
  it('follows rel="next", relative to the registry', () => {
    expect(nextLink('</v2/web/tags/list?n=2&last=b>; rel="next"', 'http://r:5000')).toBe(
      'http://r:5000/v2/web/tags/list?n=2&last=b',
    );
    expect(nextLink(null, 'http://r')).toBeUndefined();
  });
});
