import { describe, expect, it } from 'vitest';
import { SourceError } from './errors.ts';
import {
  gitTransportURL,
  mirrorName,
  normalizeRepoURL,
  parseRepoURL,
  redactRepoURL,
  redactText,
} from './url.ts';

describe('normalizeRepoURL', () => {
  it.each([
    ['https://github.com/Org/Repo.git', 'github.com/org/repo'],
    ['https://github.com/org/repo', 'github.com/org/repo'],
    ['https://GitHub.com/org/repo/', 'github.com/org/repo'],
    ['https://github.com/org/repo.git/', 'github.com/org/repo'],
    ['https://user:pw@github.com/org/repo/', 'github.com/org/repo'],
    ['https://ghp_token@github.com/org/repo', 'github.com/org/repo'],
    ['https://github.com:443/org/repo', 'github.com/org/repo'],
    ['http://git.example.com:80/org/repo', 'git.example.com/org/repo'],
    ['https://git.example.com:8443/org/repo.git', 'git.example.com:8443/org/repo'],
    ['git@github.com:Org/Repo.git', 'github.com/org/repo'],
    ['git@github.com:/org/repo.git', 'github.com/org/repo'],
    ['github.com:org/repo', 'github.com/org/repo'],
    ['ssh://git@github.com/Org/Repo', 'github.com/org/repo'],
    ['ssh://git@github.com:22/org/repo.git', 'github.com/org/repo'],
    ['ssh://git@git.example.com:2222/org/repo.git', 'git.example.com:2222/org/repo'],
    ['git+ssh://git@github.com/org/repo.git', 'github.com/org/repo'],
    ['git://github.com/org/repo.git', 'github.com/org/repo'],
    ['https://dev.azure.com/Org/Project/_git/Repo', 'dev.azure.com/org/project/_git/repo'],
    ['https://gitlab.com/group/sub//repo.git', 'gitlab.com/group/sub/repo'],
    ['https://[::1]:8080/org/repo', '[::1]:8080/org/repo'],
    ['  https://github.com/org/repo  ', 'github.com/org/repo'],
    // A host alone (credential Secrets match repositories by prefix).
    ['https://github.com', 'github.com'],
    ['https://github.com/', 'github.com'],
    ['https://GitHub.com/Org/', 'github.com/org'],
    ['file:///x/y', 'file:///x/y'],
    ['file:///x/y/', 'file:///x/y'],
    ['file:///srv/Repos/App.git', 'file:///srv/Repos/App.git'],
    ['file://localhost/x/./y', 'file:///x/y'],
  ])('%s -> %s', (url, want) => {
    expect(normalizeRepoURL(url)).toBe(want);
  });

  it('gives every form of one repository the same mirror name', () => {
    const names = new Set(
      [
        'https://github.com/Org/Repo.git',
        'git@github.com:org/repo',
        'ssh://git@github.com/org/repo/',
      ].map((u) => mirrorName(normalizeRepoURL(u))),
    );
    expect(names.size).toBe(1);
    expect([...names][0]).toMatch(/^[0-9a-f]{12}-org-repo$/);
    expect(mirrorName('file:///tmp/a b/ü')).toMatch(/^[0-9a-f]{12}-a-b$/);
    expect(mirrorName('file:///')).toMatch(/^[0-9a-f]{12}$/);
  });

  it.each([
    [''],
    ['/srv/repo.git'],
    ['./repo'],
    ['repo'],
    ['ftp://host/repo'],
    ['ext::sh -c id'],
    ['https://'],
    ['https://host:port/x'],
    ['https://host/x?ref=main'],
    ['file://otherhost/x'],
    ['-oProxyCommand=id:path'],
    ['ssh://-oProxyCommand=id/x'],
  ])('refuses %j with InvalidRepoURL', (url) => {
    let err: unknown;
    try {
      normalizeRepoURL(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).code).toBe('InvalidRepoURL');
    expect((err as SourceError).hint).toContain('file:///');
  });
});

describe('redactRepoURL', () => {
  it.each([
    ['https://user:pw@github.com/org/repo.git', 'https://github.com/org/repo.git'],
    ['https://ghp_secret@github.com/org/repo', 'https://github.com/org/repo'],
    ['https://user:p%40ss@github.com/org/repo', 'https://github.com/org/repo'],
    ['https://user:p@ss@github.com/org/repo', 'https://github.com/org/repo'],
    ['http://u:p@127.0.0.1:8080/x.git', 'http://127.0.0.1:8080/x.git'],
    ['ssh://git:secret@host:2222/org/repo', 'ssh://git@host:2222/org/repo'],
    ['ssh://git@host/org/repo', 'ssh://git@host/org/repo'],
    ['git@github.com:org/repo.git', 'git@github.com:org/repo.git'],
    ['git:secret@github.com:org/repo.git', 'git@github.com:org/repo.git'],
    ['https://github.com/Org/Repo.git', 'https://github.com/Org/Repo.git'],
    ['file:///x/y', 'file:///x/y'],
    // Unparseable input still loses its credentials.
    ['ftp://user:secret@host/x', 'ftp://user@host/x'],
    ['https://user:secret@host:bad/x', 'https://host:bad/x'],
    ['user:secret@/weird', '/weird'],
    ['user:secret@host', 'host'],
  ])('%s -> %s', (url, want) => {
    expect(redactRepoURL(url)).toBe(want);
  });

  it('removes URL credentials from free text', () => {
    expect(redactText("fatal: unable to access 'https://bob:hunter2@host/x/': 403")).toBe(
      "fatal: unable to access 'https://host/x/': 403",
    );
    expect(redactText('ssh://git:pw@host/x and ssh://git@host/y')).toBe(
      'ssh://git@host/x and ssh://git@host/y',
    );
  });
});

describe('parseRepoURL / gitTransportURL', () => {
  it('keeps the URL as written but never hands credentials to git', () => {
    const p = parseRepoURL('https://bob:hunter2@Git.Example.com:8443/Org/Repo.git');
    expect(p).toMatchObject({
      scheme: 'https',
      user: 'bob',
      password: 'hunter2',
      host: 'git.example.com',
      port: '8443',
      path: '/Org/Repo.git',
    });
    expect(gitTransportURL(p)).toBe('https://git.example.com:8443/Org/Repo.git');
    expect(gitTransportURL(parseRepoURL('git@host:org/repo.git'))).toBe('git@host:org/repo.git');
    expect(gitTransportURL(parseRepoURL('ssh://git:pw@host/org/repo'))).toBe(
      'ssh://git@host/org/repo',
    );
    expect(gitTransportURL(parseRepoURL('file://localhost/srv/x'))).toBe('file:///srv/x');
  });
});
