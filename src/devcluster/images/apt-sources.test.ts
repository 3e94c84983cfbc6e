import { describe, expect, it } from 'vitest';
import { codename, mirrorFor, parseDeb822Sources, parseOneLineSources } from './apt-sources.ts';

describe('one-line sources.list', () => {
  it('reads type, URI, suite and components, with or without [options]', () => {
    const text = [
      '# a comment',
      'deb http://mirror.example/debian bookworm main contrib',
      'deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian bookworm-updates main # trailing',
      'deb-src http://mirror.example/debian bookworm main',
      '',
      'not a source line',
    ].join('\n');
    expect(parseOneLineSources(text)).toEqual([
      {
        types: ['deb'],
        uris: ['http://mirror.example/debian'],
        suites: ['bookworm'],
        components: ['main', 'contrib'],
        enabled: true,
      },
      {
        types: ['deb'],
        uris: ['http://mirror.example/debian'],
        suites: ['bookworm-updates'],
        components: ['main'],
        enabled: true,
      },
      {
        types: ['deb-src'],
        uris: ['http://mirror.example/debian'],
        suites: ['bookworm'],
        components: ['main'],
        enabled: true,
      },
    ]);
  });
});

describe('deb822 .sources', () => {
  const text = [
    'Types: deb',
    '# http://snapshot.example/archive/debian/20250520T000000Z',
    'URIs: http://mirror.example/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    'Signed-By:',
    ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
    ' .',
    ' mQINBGP...',
    ' -----END PGP PUBLIC KEY BLOCK-----',
    '',
    'Types: deb deb-src',
    'URIs: http://security.example/debian-security',
    'Suites: bookworm-security',
    'Components: main',
    '',
    'Enabled: no',
    'Types: deb',
    'URIs: http://old.example/debian',
    'Suites: bookworm',
  ].join('\n');
  const sources = parseDeb822Sources(text);

  it('reads stanzas, skipping comments and multi-line fields', () => {
    expect(sources).toHaveLength(3);
    expect(sources[0]).toEqual({
      types: ['deb'],
      uris: ['http://mirror.example/debian'],
      suites: ['bookworm', 'bookworm-updates'],
      components: ['main'],
      enabled: true,
    });
    expect(sources[1]?.types).toEqual(['deb', 'deb-src']);
    expect(sources[2]?.enabled).toBe(false);
  });

  it('picks the enabled deb source of the suite itself, not -updates or -security', () => {
    expect(mirrorFor(sources, 'bookworm')).toBe('http://mirror.example/debian');
    expect(mirrorFor(sources, 'bookworm-security')).toBe('http://security.example/debian-security');
    expect(mirrorFor(sources.slice(1), 'bookworm')).toBeUndefined();
  });
});

describe('codename', () => {
  it.each([
    ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n', 'bookworm'],
    ['VERSION_CODENAME="trixie"\n', 'trixie'],
    ['ID=alpine\n', undefined],
  ])('%j → %s', (text, want) => {
    expect(codename(text)).toBe(want);
  });
});
