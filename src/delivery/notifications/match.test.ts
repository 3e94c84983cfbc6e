/** Selecting events, planning deliveries, and the problems a spec can have. */
import { describe, expect, it } from 'vitest';
import type { Notification, NotificationSpec } from '../../api/notification.ts';
import { sampleEvent } from '../events/sample.ts';
import type { DeliveryEvent } from '../events/types.ts';
import { deliveriesFor, glob, listensTo, testDeliveries } from './match.ts';
import { validate } from './validate.ts';

const CONTROLLER_NS = 'sluice-system';

function notification(spec: Partial<NotificationSpec>, namespace = 'team'): Notification {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Notification',
    metadata: { name: 'n', namespace },
    spec: {
      triggers: [{ events: ['pipelinerun-failed'] }],
      destinations: [
        { name: 'hook', webhook: { url: 'http://127.0.0.1:1/h' } },
        { name: 'chat', slack: { url: 'http://127.0.0.1:1/s' } },
      ],
      ...spec,
    },
  };
}

const event = (o: Partial<DeliveryEvent> = {}): DeliveryEvent => ({
  ...sampleEvent('pipelinerun-failed', { namespace: 'team', name: 'ci-1' }),
  labels: { team: 'a' },
  ...o,
});

const plan = (n: Notification, e = event()) =>
  deliveriesFor(n, e, CONTROLLER_NS).map(
    (d) => `${d.trigger}:${d.template.name}->${d.destination.name}`,
  );

describe('deliveriesFor', () => {
  it('sends the built-in template to every destination by default', () => {
    expect(plan(notification({}))).toEqual([
      'triggers[0]:default->hook',
      'triggers[0]:default->chat',
    ]);
  });

  it('only for the types a trigger is on, and not when suspended', () => {
    const n = notification({});
    expect(plan(n, event({ type: 'pipelinerun-succeeded' }))).toEqual([]);
    expect(plan(notification({ suspend: true }))).toEqual([]);
    expect(listensTo(n, 'pipelinerun-failed')).toBe(true);
    expect(listensTo(n, 'sync-failed')).toBe(false);
  });

  it('sends named templates to named destinations, each pair once', () => {
    const n = notification({
      templates: [{ name: 'short', message: 'x' }],
      triggers: [
        { name: 'a', events: ['pipelinerun-failed'], send: ['short'], destinations: ['chat'] },
        { name: 'b', events: ['pipelinerun-failed', 'sync-failed'], send: ['short', 'default'] },
      ],
    });
    expect(plan(n)).toEqual([
      'a:short->chat',
      'b:short->hook',
      'b:default->hook',
      'b:default->chat',
    ]);
  });

  const selections: Array<{
    name: string;
    spec: Partial<NotificationSpec>;
    ns?: string;
    want: boolean;
  }> = [
    { name: 'own namespace by default', spec: {}, want: true },
    { name: 'another namespace by default', spec: {}, ns: 'other', want: false },
    { name: 'kinds', spec: { selector: { kinds: ['Application'] } }, want: false },
    { name: 'name glob', spec: { selector: { names: ['ci-*'] } }, want: true },
    { name: 'name glob miss', spec: { selector: { names: ['web-?'] } }, want: false },
    { name: 'labels', spec: { selector: { matchLabels: { team: 'a' } } }, want: true },
    { name: 'labels miss', spec: { selector: { matchLabels: { team: 'b' } } }, want: false },
  ];
  it.each(selections)('selector: $name', ({ spec, ns, want }) => {
    expect(
      plan(
        notification(spec),
        event({ object: { ...event().object, ...(ns ? { namespace: ns } : {}) } }),
      ).length > 0,
    ).toBe(want);
  });

  it('only the controller namespace may select other namespaces', () => {
    const other = event({ object: { ...event().object, namespace: 'other' } });
    const spec = { selector: { namespaces: ['*'] } };
    expect(plan(notification(spec, 'team'), other)).toEqual([]);
    expect(plan(notification(spec, CONTROLLER_NS), other)).toHaveLength(2);
  });
});

describe('validate', () => {
  it('accepts a correct spec', () => {
    expect(
      validate(
        notification({ templates: [{ name: 't', message: '{{ .app.name }}' }] }),
        CONTROLLER_NS,
      ),
    ).toEqual([]);
  });

  const cases: Array<{ name: string; spec: Partial<NotificationSpec>; ns?: string; want: RegExp }> =
    [
      {
        name: 'two types',
        spec: {
          destinations: [{ name: 'x', webhook: { url: 'http://h' }, slack: { url: 'http://h' } }],
        },
        want: /exactly one of webhook, slack, github, gitlab \(has 2\)/,
      },
      {
        name: 'no url',
        spec: { destinations: [{ name: 'x', webhook: {} }] },
        want: /needs url or urlSecretRef/,
      },
      {
        name: 'not http',
        spec: { destinations: [{ name: 'x', slack: { url: 'ftp://h' } }] },
        want: /must be http/,
      },
      {
        name: 'bad timeout',
        spec: { destinations: [{ name: 'x', webhook: { url: 'http://h' }, timeout: 'soon' }] },
        want: /timeout "soon" is not a duration/,
      },
      {
        name: 'duplicate destination',
        spec: {
          destinations: [
            { name: 'x', webhook: { url: 'http://h' } },
            { name: 'x', webhook: { url: 'http://h' } },
          ],
        },
        want: /destination "x" is defined twice/,
      },
      {
        name: 'an Argo CD field',
        spec: { templates: [{ name: 't', message: '{{ .app.metadata.name }}' }] },
        want: /no event has the field \.app\.metadata\.name \(use \.app\.name\)/,
      },
      {
        name: 'a template that does not parse',
        spec: { templates: [{ name: 't', webhook: { body: { a: ['{{ call .x }}'] } } }] },
        want: /templates\[0\] \(t\): .*only field references/,
      },
      {
        name: 'unknown template',
        spec: { triggers: [{ events: ['sync-failed'], send: ['nope'] }] },
        want: /template "nope", which is not defined/,
      },
      {
        name: 'unknown destination',
        spec: { triggers: [{ name: 'x', events: ['sync-failed'], destinations: ['nope'] }] },
        want: /triggers\[0\] \(x\) names destination "nope"/,
      },
      {
        name: 'other namespaces',
        spec: { selector: { namespaces: ['prod'] } },
        want: /only Notifications in sluice-system may select other namespaces/,
      },
    ];
  it.each(cases)('$name', ({ spec, ns, want }) => {
    expect(validate(notification(spec, ns), CONTROLLER_NS).join('\n')).toMatch(want);
  });
});

it.each([
  { p: 'web-*', s: 'web-1', want: true },
  { p: 'web-?', s: 'web-12', want: false },
  { p: 'a.b', s: 'axb', want: false },
  { p: '*', s: 'anything', want: true },
])('glob($p, $s)', ({ p, s, want }) => expect(glob(p, s)).toBe(want));

describe('testDeliveries', () => {
  it('every destination, with the templates its triggers on the type send, else the built-in', () => {
    const n = notification({
      templates: [{ name: 'short', message: 'x' }],
      triggers: [{ events: ['pipelinerun-failed'], send: ['short'], destinations: ['chat'] }],
    });
    const plan = (type: Parameters<typeof testDeliveries>[1]) =>
      testDeliveries(n, type).map((d) => `${d.template.name}->${d.destination.name}`);
    expect(plan('pipelinerun-failed')).toEqual(['default->hook', 'short->chat']);
    expect(plan('sync-failed')).toEqual(['default->hook', 'default->chat']);
  });
});
