/**
 * The review step's warnings before a clone is created: what the operator
 * should see once more before a disk is overwritten. The controller has the
 * last word (it refuses what cannot work); these catch the likely mistakes early.
 */
import { formatBytes } from '../../lib/format';
import type { CloneSession } from '../../types/clone';
import type { CloneFormValues } from './cloneForm';

export interface ReviewFacts {
  /** Size of the chosen source disk, from the node's last scan; null when unknown. */
  sourceBytes: number | null;
  targetBytes: number | null;
  /** Sessions not yet ended (pending, source ready, cloning). */
  active: Pick<CloneSession, 'id' | 'name' | 'source_node_id' | 'target_node_id'>[];
}

export function reviewWarnings(values: CloneFormValues, facts: ReviewFacts): string[] {
  const warnings: string[] = [];
  const direct = values.clone_mode === 'direct';
  if (direct && facts.sourceBytes !== null && facts.targetBytes !== null && facts.targetBytes < facts.sourceBytes) {
    const sizes = `${formatBytes(facts.targetBytes)} target, ${formatBytes(facts.sourceBytes)} source`;
    warnings.push(
      values.resize_mode === 'shrink_source'
        ? `The target disk is smaller than the source (${sizes}): the source partitions must shrink to fit.`
        : `The target disk is smaller than the source (${sizes}) and no shrink is planned: the clone cannot fit.`,
    );
  }
  if (direct && values.source_node_id && values.source_node_id === values.target_node_id) {
    warnings.push('The source and the target are the same node.');
  }
  const busy = (nodeId: string) =>
    facts.active.find((s) => s.source_node_id === nodeId || s.target_node_id === nodeId);
  const sourceBusy = values.source_node_id ? busy(values.source_node_id) : undefined;
  if (sourceBusy) warnings.push(`The source node is already in an unfinished session (${label(sourceBusy)}).`);
  const targetBusy = direct && values.target_node_id ? busy(values.target_node_id) : undefined;
  if (targetBusy) warnings.push(`The target node is already in an unfinished session (${label(targetBusy)}).`);
  return warnings;
}

const label = (session: { id: string; name?: string | null }) => session.name || session.id.slice(0, 8);
