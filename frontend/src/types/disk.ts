/**
 * Disk and partition types.
 *
 * NOT IN THE OPENAPI YET: the controller has no disk inventory or partition
 * API so far (GET /nodes/{id}/disks answers 404, which the UI shows as "no
 * disk scan"). These are the shapes the UI is written against; once the
 * backend publishes them, replace each with an alias of its generated schema
 * (`components['schemas'][...]`) so `npm run build` checks the UI against it.
 */

/** One partition of a scanned disk. */
export interface PartitionInfo {
  number: number;
  start_bytes: number;
  end_bytes: number;
  size_bytes: number;
  size_human: string;
  type: string;
  filesystem?: string | null;
  label?: string | null;
  flags: string[];
  used_bytes?: number | null;
  used_percent?: number | null;
  can_shrink: boolean;
  min_size_bytes?: number | null;
}

/** A disk of a node with its partitions, from the last scan. */
export interface DiskInfo {
  id: string;
  node_id: string;
  device: string;
  size_bytes: number;
  size_human: string;
  model?: string | null;
  serial?: string | null;
  partition_table?: string | null;
  partitions: PartitionInfo[];
  scanned_at: string;
}

/** A queued or executed partition operation. */
export interface PartitionOperation {
  id: string;
  node_id: string;
  session_id?: string | null;
  device: string;
  operation: 'resize' | 'create' | 'delete' | 'format' | 'move' | 'set_flag';
  params: Record<string, unknown>;
  sequence: number;
  status: 'pending' | 'running' | 'completed' | 'failed';
  error_message?: string | null;
  created_at: string;
  executed_at?: string | null;
}
