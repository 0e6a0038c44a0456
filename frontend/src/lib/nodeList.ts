/** Search and sort of the node list (pure, for the nodes page). */
import type { Node } from '../types/node';

export type NodeSort = 'hostname' | 'state' | 'registered';

/** Nodes whose hostname, MAC, IP or state contains `search` (any case), sorted by `sort`. */
export function filterNodes(nodes: Node[], search: string, sort: NodeSort): Node[] {
  const needle = search.trim().toLowerCase();
  const matches = needle
    ? nodes.filter((node) =>
        [node.hostname, node.mac_address, node.ip_address ?? '', node.state].some((field) =>
          String(field).toLowerCase().includes(needle),
        ),
      )
    : [...nodes];
  const by: Record<NodeSort, (a: Node, b: Node) => number> = {
    hostname: (a, b) => a.hostname.localeCompare(b.hostname),
    state: (a, b) => String(a.state).localeCompare(String(b.state)) || a.hostname.localeCompare(b.hostname),
    registered: (a, b) => b.created_at.localeCompare(a.created_at),
  };
  return matches.sort(by[sort]);
}
