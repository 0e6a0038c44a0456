/** How a clone session is named and described in tables and headings. */
import type { CloneSession } from '../../types/clone';

export function sessionTitle(session: Pick<CloneSession, 'id' | 'name'>): string {
  return session.name || `Clone ${session.id.slice(0, 8)}`;
}

/** The source node's hostname, or its id until the node is known. */
export function sourceName(session: CloneSession): string {
  return session.source_node_name || session.source_node_id;
}

/** Where the disk goes: the target node, or the staging backend for staged clones. */
export function targetName(session: CloneSession): string {
  if (session.target_node_name) return session.target_node_name;
  if (session.target_node_id) return session.target_node_id;
  if (session.staging_backend_name) return `${session.staging_backend_name} (staging)`;
  if (session.staging_backend_id) return `${session.staging_backend_id} (staging)`;
  return 'not chosen yet';
}
