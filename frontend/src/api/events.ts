/**
 * Wire format of the controller's WebSocket (/api/v1/ws). Every event carries
 * its `position` in the event log so a reconnecting client can resume with
 * `?from=<position>` and miss nothing.
 */

interface Envelope<T extends string, D> {
  type: T;
  data: D;
  position?: number;
  timestamp?: string;
}

type SessionRef = { session_id: string };
type NodeRef = { node_id: string };
type DeviceRef = NodeRef & { device: string };
type OperationRef = DeviceRef & { operation_id: string; operation: string };

export interface CloneProgressData extends SessionRef {
  bytes_transferred: number;
  bytes_total: number | null;
  progress_percent: number;
  transfer_rate_bps: number | null;
  status: string | null;
}

export type CloneEvent =
  | Envelope<'clone.created', SessionRef>
  | Envelope<'clone.updated', SessionRef>
  | Envelope<'clone.deleted', SessionRef>
  | Envelope<'clone.started', SessionRef & { source_node_id: string; target_node_id: string | null }>
  | Envelope<'clone.source_ready', SessionRef & { source_ip: string; source_port: number; size_bytes: number }>
  | Envelope<'clone.progress', CloneProgressData>
  | Envelope<'clone.completed', SessionRef & { duration_seconds: number | null }>
  | Envelope<'clone.failed', SessionRef & { error: string }>
  | Envelope<'clone.cancelled', SessionRef>;

export type NodeEvent =
  | Envelope<'node.created', NodeRef>
  | Envelope<'node.updated', NodeRef>
  | Envelope<'node.deleted', NodeRef>;

/**
 * The partition tool's events. Beyond the spec's five, the controller sends
 * scan_requested, operation_removed and operations_applied, so a page can
 * keep a device's queue current without polling.
 */
export type PartitionEvent =
  | Envelope<
      'partition.scan_complete',
      DeviceRef & { disk_id?: string; size_bytes?: number; partition_count?: number; scanned_at?: string }
    >
  | Envelope<'partition.scan_requested', NodeRef & { requested_at?: string }>
  | Envelope<'partition.operation_queued', OperationRef & { sequence?: number; params?: Record<string, unknown> }>
  | Envelope<'partition.operation_removed', DeviceRef & { operation_id: string }>
  | Envelope<'partition.operations_applied', DeviceRef & { operation_ids: string[] }>
  | Envelope<'partition.operation_started', OperationRef>
  | Envelope<'partition.operation_complete', OperationRef>
  | Envelope<'partition.operation_failed', OperationRef & { error?: string | null; withdrawn?: string[] }>;

export type StorageEvent =
  | Envelope<'storage.backend_created', { backend_id: string }>
  | Envelope<'storage.backend_updated', { backend_id: string }>
  | Envelope<'storage.backend_deleted', { backend_id: string }>;

/** An event about something in the system. */
export type WebSocketEvent = CloneEvent | NodeEvent | PartitionEvent | StorageEvent;

/** Everything the server may send, including connection housekeeping. */
export type ServerMessage =
  | WebSocketEvent
  | { type: 'pong' }
  /** The client fell behind the server's buffer: reconnect with ?from=position. */
  | { type: 'resync'; position: number };

/** Parses one frame; anything that is not an object with a string `type` is dropped. */
export function parseServerMessage(raw: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { type } = value as { type?: unknown };
  if (typeof type !== 'string') return null;
  if (type === 'pong' || type === 'resync') return value as ServerMessage;
  const { data } = value as { data?: unknown };
  if (typeof data !== 'object' || data === null) return null;
  return value as ServerMessage;
}
