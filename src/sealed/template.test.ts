import { describe, expect, it } from 'vitest';
import { renderTemplate } from './template.ts';

const values = new Map([
  ['user', Buffer.from('app')],
  ['db-password', Buffer.from('s3cret')],
]);

describe('renderTemplate', () => {
  it.each([
    ['plain text', 'no actions', 'no actions'],
    ['a field', 'u={{ .user }}', 'u=app'],
    ['index for a key with a dash', '{{index . "db-password"}}', 's3cret'],
    ['trim markers', 'a   {{- .user -}}   b', 'aappb'],
    ['two actions', '{{ .user }}:{{ index . "db-password" }}', 'app:s3cret'],
  ])('%s', (_n, tpl, want) => {
    expect(renderTemplate(tpl, values, 'at').toString()).toBe(want);
  });

  it.each([
    ['a function', '{{ .user | upper }}', /is not supported/],
    [
      'a missing key',
      '{{ .password }}',
      /refers to "password", which spec.encryptedData does not have/,
    ],
    ['an unclosed action', 'x {{ .user', /unclosed/],
  ])('refuses %s', (_n, tpl, message) => {
    expect(() => renderTemplate(tpl, values, 'SealedSecret/a/b: spec.template.data.x')).toThrow(
      message,
    );
  });
});
