/** Figures the reports page derives from a clone report's rows. */
import type { ReportRow } from '../api/audit';

/**
 * Completed share of the sessions that ended (completed, failed or cancelled), in percent;
 * null when none ended (a rate of nothing is not 0%).
 */
export function successRate(row: Pick<ReportRow, 'completed' | 'failed' | 'cancelled'>): number | null {
  const ended = row.completed + row.failed + row.cancelled;
  return ended > 0 ? (row.completed / ended) * 100 : null;
}

/** A row's label: the node's hostname for node groups (its id when unregistered), else the key. */
export function groupLabel(row: Pick<ReportRow, 'group' | 'hostname' | 'node_id'>): string {
  if (row.node_id) return row.hostname || `${row.node_id.slice(0, 8)} (removed)`;
  return row.group;
}

/** What a total row sums: the counts and the bytes. */
export type Counts = Pick<ReportRow, 'created' | 'started' | 'completed' | 'failed' | 'cancelled' | 'bytes_cloned'>;

/** The sum of every group, for the table's total line. */
export function totals(rows: ReportRow[]): Counts {
  const sum = { created: 0, started: 0, completed: 0, failed: 0, cancelled: 0, bytes_cloned: 0 };
  for (const row of rows) {
    sum.created += row.created;
    sum.started += row.started;
    sum.completed += row.completed;
    sum.failed += row.failed;
    sum.cancelled += row.cancelled;
    sum.bytes_cloned += row.bytes_cloned;
  }
  return sum;
}
