import { describe, expect, it } from 'vitest';
import type { Node } from '../types/node';
import { filterNodes } from './nodeList';

const node = (hostname: string, state: string, created_at: string, ip: string | null = null) =>
  ({ id: hostname, hostname, state, created_at, updated_at: created_at, mac_address: `02:00:${hostname}`, ip_address: ip, arch: 'x86_64' }) as Node;
const nodes = [node('rack2', 'active', '2026-11-02T00:00:00Z', '10.0.0.2'), node('rack1', 'discovered', '2026-11-01T00:00:00Z')];

describe('filterNodes', () => {
  it('searches hostname, MAC, IP and state, in any case', () => {
    expect(filterNodes(nodes, 'RACK1', 'hostname').map((n) => n.hostname)).toEqual(['rack1']);
    expect(filterNodes(nodes, '10.0.0.2', 'hostname').map((n) => n.hostname)).toEqual(['rack2']);
    expect(filterNodes(nodes, 'discov', 'hostname').map((n) => n.hostname)).toEqual(['rack1']);
  });
  it('sorts by hostname, state or newest', () => {
    expect(filterNodes(nodes, '', 'hostname').map((n) => n.hostname)).toEqual(['rack1', 'rack2']);
    expect(filterNodes(nodes, '', 'state').map((n) => n.hostname)).toEqual(['rack2', 'rack1']);
    expect(filterNodes(nodes, '', 'registered').map((n) => n.hostname)).toEqual(['rack2', 'rack1']);
  });
});
