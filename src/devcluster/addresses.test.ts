import { describe, expect, it } from 'vitest';
import {
  DNS_SERVICE_IP,
  freeSlot,
  inCidr,
  KUBERNETES_SERVICE_IP,
  KWOK_NODE_IP,
  KWOK_POD_CIDR,
  MAX_SLOTS,
  nodeNetwork,
  SERVICE_CIDR,
} from './addresses.ts';

const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const BENCHMARK = '198.18.0.0/15';

describe('the address plan', () => {
  const slots = [0, 1, 17, MAX_SLOTS - 1].map((s) => nodeNetwork('c', s));
  const everyAddress = [
    KUBERNETES_SERVICE_IP,
    DNS_SERVICE_IP,
    KWOK_NODE_IP,
    ...slots.flatMap((n) => [n.hostIp, n.nodeIp, n.gateway, n.podCidr.split('/')[0]!]),
    SERVICE_CIDR.split('/')[0]!,
    KWOK_POD_CIDR.split('/')[0]!,
  ];

  it.each(everyAddress)('%s is in 198.18.0.0/15 and in no private range', (ip) => {
    expect(inCidr(ip, BENCHMARK)).toBe(true);
    for (const p of PRIVATE) expect(inCidr(ip, p)).toBe(false);
  });

  it('keeps the Services, kwok pods and each node link apart', () => {
    expect(inCidr(KUBERNETES_SERVICE_IP, SERVICE_CIDR)).toBe(true);
    expect(inCidr(DNS_SERVICE_IP, SERVICE_CIDR)).toBe(true);
    for (const n of slots) {
      expect(inCidr(n.gateway, n.podCidr)).toBe(true);
      for (const other of [SERVICE_CIDR, KWOK_POD_CIDR]) {
        expect(inCidr(n.nodeIp, other)).toBe(false);
        expect(inCidr(n.podCidr.split('/')[0]!, other)).toBe(false);
      }
    }
    const links = slots.map((n) => n.hostIp);
    expect(new Set(links).size).toBe(links.length);
    const pods = slots.map((n) => n.podCidr);
    expect(new Set(pods).size).toBe(pods.length);
  });

  it('names interfaces within the kernel limit of 15 characters', () => {
    for (const n of slots) expect(n.hostInterface.length).toBeLessThanOrEqual(15);
  });

  it('rejects slots outside the plan', () => {
    expect(() => nodeNetwork('c', MAX_SLOTS)).toThrow(/outside/);
    expect(() => nodeNetwork('c', -1)).toThrow(/outside/);
  });

  it.each([
    [[], 0],
    [[0, 1, 3], 2],
    [Array.from({ length: MAX_SLOTS }, (_, i) => i), undefined],
  ])('freeSlot(%j) = %s', (taken, want) => {
    expect(freeSlot(taken)).toBe(want);
  });

  it.each([
    ['198.19.128.1', '198.19.128.0/18', true],
    ['198.19.192.0', '198.19.128.0/18', false],
    ['198.18.3.7', '198.18.3.0/24', true],
    ['198.18.4.7', '198.18.3.0/24', false],
    ['1.2.3.4', '0.0.0.0/0', true],
  ])('inCidr(%s, %s) = %s', (ip, cidr, want) => {
    expect(inCidr(ip, cidr)).toBe(want);
  });
});
