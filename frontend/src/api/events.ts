/**
 * Wire format of the controller's WebSocket (/api/v1/ws). Every event carries
 * its `position` in the event log so a reconnecting client can resume with
 * `?from=<position>`, and `prev_position`, the position of the message sent
 * before it on the connection (for the first, the `from` given), so a client
 * can prove it missed nothing although positions have gaps. The envelope's
 * fields and the housekeeping messages are the OpenAPI's WsEventMessage and
 * WsControlMessage; the per-type `data` shapes are refined here.
 */
import type { components } from './schema';

type WsEventMessage = components['schemas']['WsEventMessage'];
type WsControlMessage = components['schemas']['WsControlMessage'];

interface Envelope<T extends string, D> extends Partial<Pick<WsEventMessage, 'position' | 'prev_position' | 'timestamp'>> {
  type: T;
  data: D;
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
  /** `pong`, or `resync`: the client fell behind the server's buffer, reconnect with ?from=position. */
  | WsControlMessage;

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
