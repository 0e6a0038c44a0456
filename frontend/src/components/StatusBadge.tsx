import { CLONE_STATUS_COLORS, CLONE_STATUS_LABELS, isCloneStatus } from '../types/clone';
import { humanizeIdentifier } from '../lib/format';

/** A session status as coloured text; the words carry the meaning, the colour only helps. */
export function StatusBadge({ status }: { status: string }) {
  const known = isCloneStatus(status);
  const color = known ? CLONE_STATUS_COLORS[status] : 'gray';
  const label = known ? CLONE_STATUS_LABELS[status] : humanizeIdentifier(status);
  return (
    <span className={`badge badge-${color}`} data-status={status} data-testid="status-badge">
      {label}
    </span>
  );
}
