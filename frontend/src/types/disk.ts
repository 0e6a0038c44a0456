/**
 * Disk inventory and partition operation types, named from the generated
 * OpenAPI schema (src/api/schema.d.ts), plus the UI's words for them.
 */
import type { components } from '../api/schema';

type Schemas = components['schemas'];

/** A disk of a node with its partitions, as the node last reported it. */
export type DiskInfo = Schemas['DiskInfoResponse'];
/** One partition of a reported disk; `end_bytes` is its last byte (inclusive). */
export type PartitionInfo = Schemas['PartitionInfo'];
export type PartitionTableKind = Schemas['PartitionTable'];
export type DiskScanStatus = Schemas['DiskScanStatus'];

/** A queued, applied, running or finished partition operation. */
export type PartitionOperation = Schemas['PartitionOperationResponse'];
export type PartitionOperationCreate = Schemas['PartitionOperationCreate'];
export type OperationKind = Schemas['OperationKind'];
export type OperationStatus = Schemas['OperationStatus'];
export type ResizeParams = Schemas['ResizeParams'];
export type Deleted = Schemas['Deleted'];

/** What a node sends as its scan (node callback; used by tooling and tests). */
export type DiskReport = Schemas['DiskReport'];

export const OPERATION_LABELS: Record<OperationKind, string> = {
  resize: 'Resize',
  create: 'Create',
  delete: 'Delete',
  format: 'Format',
  move: 'Move',
  set_flag: 'Set flag',
};

/**
 * Where an operation stands for the operator. The API keeps "handed to the
 * node" beside the status (`applied_at`), so a pending operation is either
 * only queued (removable) or applied (waiting for the node).
 */
export type OperationStage = 'queued' | 'applied' | 'running' | 'completed' | 'failed';

export const OPERATION_STAGE_LABELS: Record<OperationStage, string> = {
  queued: 'Queued',
  applied: 'Applied, waiting for the node',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
};

/** Badge colours (see .badge-* in styles.css); the label carries the meaning. */
export const OPERATION_STAGE_COLORS: Record<OperationStage, string> = {
  queued: 'gray',
  applied: 'blue',
  running: 'yellow',
  completed: 'green',
  failed: 'red',
};

export function operationStage(operation: Pick<PartitionOperation, 'status' | 'applied_at'>): OperationStage {
  if (operation.status === 'pending') return operation.applied_at ? 'applied' : 'queued';
  return operation.status;
}

/** Only operations not yet handed to the node can be removed or applied. */
export function isQueued(operation: Pick<PartitionOperation, 'status' | 'applied_at'>): boolean {
  return operationStage(operation) === 'queued';
}
