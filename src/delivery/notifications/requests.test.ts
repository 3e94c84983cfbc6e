/** The request each destination type gets for an event: URL, headers, body, signature. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NotificationDestination, NotificationTemplate } from '../../api/notification.ts';
import { sampleEvent } from '../events/sample.ts';
import type { DeliveryEvent } from '../events/types.ts';
import { DeliveryError } from './errors.ts';
import { templateContext } from './fields.ts';
import { buildRequest, repositoryPath, secretRefs, type HttpRequest } from './requests.ts';

const SHA = 'f'.repeat(40);
const secrets: Record<string, string> = {
  'hook/hmac': 'k3y',
  'gh/token': 'ghp_x',
  'slack/url': 'http://127.0.0.1:9/slack ',
};

function build(
  destination: NotificationDestination,
  template: NotificationTemplate = { name: 'default' },
  event: DeliveryEvent = sampleEvent('sync-failed', {
    namespace: 'shop',
    name: 'web',
    revision: SHA,
    repoURL: 'https://git.example.com/org/web.git',
    now: new Date(0),
  }),
): HttpRequest {
  return buildRequest({
    event,
    context: templateContext(event, { namespace: 'shop', name: 'ops', trigger: 't' }),
    template,
    destination,
    secret: (r) => secrets[`${r.name}/${r.key}`],
  });
}

const bodyOf = (r: HttpRequest): Record<string, unknown> =>
  JSON.parse(r.body) as Record<string, unknown>;

describe('webhook', () => {
  it('sends the event as JSON, signed with the key of a Secret', () => {
    const r = build({
      name: 'ops',
      webhook: {
        url: 'http://127.0.0.1:9/hook',
        secretRef: { name: 'hook', key: 'hmac' },
        headers: [{ name: 'X-Team', value: 'shop' }],
      },
    });
    const want = `sha256=${createHmac('sha256', 'k3y').update(r.body).digest('hex')}`;
    expect(r).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:9/hook' });
    expect(r.headers).toMatchObject({
      'X-Sluice-Signature': want,
      'X-Sluice-Event': 'sync-failed',
      'X-Team': 'shop',
      'Content-Type': 'application/json',
    });
    expect(bodyOf(r)).toMatchObject({
      type: 'sync-failed',
      object: { kind: 'Application', namespace: 'shop', name: 'web' },
      revision: SHA,
      notification: { namespace: 'shop', name: 'ops' },
      trigger: 't',
    });
    expect(bodyOf(r)['text']).toContain('Sync failed: Application shop/web');
  });

  it('renders a body template, as an object or as JSON text, escaping values', () => {
    const event = { ...sampleEvent('sync-failed', { namespace: 'shop' }), message: 'a "b"\n' };
    const asObject = build(
      { name: 'x', webhook: { url: 'http://h' } },
      { name: 't', webhook: { body: { msg: '{{ .message }}', obj: '{{ .object }}' } } },
      event,
    );
    expect(bodyOf(asObject)).toEqual({ msg: 'a "b"\n', obj: event.object });
    const asText = build(
      { name: 'x', webhook: { url: 'http://h' } },
      { name: 't', webhook: { body: '{"msg": "{{ .message }}"}' } },
      event,
    );
    expect(bodyOf(asText)).toEqual({ msg: 'a "b"\n' });
  });

  it('a missing Secret is SecretNotFound, never retried', () => {
    const err = (() => {
      try {
        build({ name: 'x', webhook: { url: 'http://h', secretRef: { name: 'nope', key: 'k' } } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ reason: 'SecretNotFound', retryable: false });
  });
});

describe('slack', () => {
  it('sends text escaped for Slack, the URL from a Secret', () => {
    const event = { ...sampleEvent('pipelinerun-failed', { namespace: 'ci' }), message: 'a<b>&c' };
    const r = build(
      { name: 'chat', slack: { urlSecretRef: { name: 'slack', key: 'url' }, channel: '#ci' } },
      { name: 't', message: '<{{ .commitURL }}|{{ .object.name }}> failed: {{ .message }}' },
      event,
    );
    expect(r.url).toBe('http://127.0.0.1:9/slack');
    expect(bodyOf(r)).toEqual({ text: '<|sample> failed: a&lt;b&gt;&amp;c', channel: '#ci' });
  });
});

describe('commit statuses', () => {
  const gh: NotificationDestination = {
    name: 'gh',
    github: { baseURL: 'http://127.0.0.1:9/api/', tokenSecretRef: { name: 'gh', key: 'token' } },
  };

  it('GitHub: the statuses API of the repository from the event, state from the outcome', () => {
    const r = build(gh);
    expect(r.url).toBe(`http://127.0.0.1:9/api/repos/org/web/statuses/${SHA}`);
    expect(r.headers['Authorization']).toBe('Bearer ghp_x');
    expect(bodyOf(r)).toMatchObject({ state: 'failure', context: 'sluice/application/web' });
    expect(String(bodyOf(r)['description']).length).toBeLessThanOrEqual(140);
  });

  it('GitLab: projects/{id}/statuses, failed instead of failure, a PRIVATE-TOKEN', () => {
    const r = build(
      {
        name: 'gl',
        gitlab: {
          baseURL: 'http://127.0.0.1:9/api/v4',
          project: 'group/sub/web',
          tokenSecretRef: { name: 'gh', key: 'token' },
        },
      },
      { name: 't', commitStatus: { label: 'deploy/{{ .environment }}', targetURL: 'https://x' } },
    );
    expect(r.url).toBe(`http://127.0.0.1:9/api/v4/projects/group%2Fsub%2Fweb/statuses/${SHA}`);
    expect(r.headers['PRIVATE-TOKEN']).toBe('ghp_x');
    expect(bodyOf(r)).toEqual({
      state: 'failed',
      name: 'deploy/shop',
      description: expect.any(String) as string,
      target_url: 'https://x',
    });
  });

  const refused: Array<{ name: string; event: Partial<DeliveryEvent>; reason: string }> = [
    { name: 'no commit', event: { revision: 'main' }, reason: 'MissingRevision' },
    {
      name: 'a file:// repository',
      event: { repoURL: 'file:///tmp/x' },
      reason: 'MissingRepository',
    },
  ];
  it.each(refused)('refuses $name', ({ event, reason }) => {
    const e = {
      ...sampleEvent('sync-succeeded', { namespace: 's', revision: SHA, repoURL: 'https://h/o/r' }),
      ...event,
    };
    expect(() => build(gh, { name: 'd' }, e)).toThrow(expect.objectContaining({ reason }) as Error);
  });

  it('refuses a state GitHub does not have', () => {
    expect(() => build(gh, { name: 't', commitStatus: { state: 'done' } })).toThrow(
      /no commit state/,
    );
  });
});

describe('helpers', () => {
  const paths: Array<{ url: string; want: string | undefined }> = [
    { url: 'https://github.com/org/app.git', want: 'org/app' },
    { url: 'git@gitlab.example.com:group/sub/app.git', want: 'group/sub/app' },
    { url: 'https://h/app', want: undefined },
    { url: 'file:///tmp/org/app', want: undefined },
  ];
  it.each(paths)('repositoryPath($url)', ({ url, want }) => expect(repositoryPath(url)).toBe(want));

  it('lists the Secrets a destination reads', () => {
    expect(
      secretRefs({
        name: 'x',
        webhook: {
          urlSecretRef: { name: 'a', key: 'url' },
          secretRef: { name: 'b', key: 'k' },
          headers: [{ name: 'H', valueFrom: { secretKeyRef: { name: 'c', key: 'h' } } }],
        },
      }).map((r) => r.name),
    ).toEqual(['a', 'b', 'c']);
  });
});
