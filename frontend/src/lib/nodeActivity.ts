/** What a node is doing, from the sessions the UI has: pure, for the node list and the node page. */
import type { CloneSession } from '../types/clone';

export interface NodeSessionRole {
  session: CloneSession;
  role: 'source' | 'target';
}

/** The sessions `nodeId` takes part in, newest first (as given), with its role in each. */
export function sessionsOfNode(sessions: CloneSession[], nodeId: string): NodeSessionRole[] {
  const roles: NodeSessionRole[] = [];
  for (const session of sessions) {
    if (session.source_node_id === nodeId) roles.push({ session, role: 'source' });
    else if (session.target_node_id === nodeId) roles.push({ session, role: 'target' });
  }
  return roles;
}

const UNFINISHED = ['pending', 'source_ready', 'cloning'];

/** "Source of rack-swap (Cloning)", or "Idle" when the node is in no unfinished session. */
export function activityText(sessions: CloneSession[], nodeId: string, statusLabel: (status: string) => string): string {
  const current = sessionsOfNode(sessions, nodeId).find(({ session }) => UNFINISHED.includes(session.status));
  if (!current) return 'Idle';
  const name = current.session.name || current.session.id.slice(0, 8);
  return `${current.role === 'source' ? 'Source' : 'Target'} of ${name} (${statusLabel(current.session.status)})`;
}
