/**
 * How server events change what the UI has cached, as pure functions.
 *
 * Progress is frequent, so it patches the cached sessions in place instead of
 * refetching them. Everything else is rare and may change fields we cannot
 * derive locally, so it marks the affected queries stale (React Query then
 * refetches only those on screen).
 *
 * Nodes replay callbacks late, repeated or out of order, so patches only ever
 * move a session forwards: progress never goes backwards and never reopens a
 * finished session.
 */
import type { QueryKey } from '@tanstack/react-query';
import type { ApiListResponse, ApiResponse } from '../api/client';
import type { CloneProgressData, WebSocketEvent } from '../api/events';
import { TERMINAL_STATUSES, type CloneSession, type CloneStatus } from '../types/clone';
import { cloneSessionKeys, imageKeys, nodeKeys, storageKeys } from './queryKeys';

export interface CacheEffects {
  /** Progress to fold into the cached sessions (detail and lists). */
  progress: ProgressReport | null;
  /** Query key prefixes to mark stale. */
  invalidate: QueryKey[];
}

export function cacheEffects(event: WebSocketEvent): CacheEffects {
  switch (event.type) {
    case 'clone.progress':
      // The detail too: verify progress and wire bytes are only in the session's view.
      return {
        progress: { ...event.data, reported_at: event.timestamp },
        invalidate: [cloneSessionKeys.history(event.data.session_id), cloneSessionKeys.detail(event.data.session_id)],
      };
    case 'clone.created':
      return { progress: null, invalidate: [cloneSessionKeys.lists()] };
    // A capture's staging moved on: the session (and the Images page's captures in progress).
    case 'clone.staging_status':
    case 'clone.source_complete':
      return {
        progress: null,
        invalidate: [cloneSessionKeys.lists(), cloneSessionKeys.detail(event.data.session_id), imageKeys.lists()],
      };
    // An image appeared, is being deleted (it leaves the ready list at once;
    // its sessions show staging `cleanup`), its cleanup failed (the reason
    // shows) or went: every image list (filtered or paged) may show it.
    case 'image.ready':
    case 'image.cleanup_started':
    case 'image.cleanup_failed':
    case 'image.deleted':
      return { progress: null, invalidate: [imageKeys.lists(), cloneSessionKeys.lists()] };
    case 'clone.updated':
    case 'clone.deleted':
    case 'clone.started':
    case 'clone.source_ready':
    case 'clone.completed':
    case 'clone.failed':
    case 'clone.cancelled':
      return {
        progress: null,
        invalidate: [cloneSessionKeys.lists(), cloneSessionKeys.detail(event.data.session_id)],
      };
    case 'node.created':
    case 'node.updated':
    case 'node.deleted':
      return { progress: null, invalidate: [nodeKeys.list(), nodeKeys.detail(event.data.node_id)] };
    // A new scan changes the disks, their scan status and what fits: all of the node's disk queries.
    case 'partition.scan_complete':
      return { progress: null, invalidate: [nodeKeys.disks(event.data.node_id)] };
    case 'partition.scan_requested':
      return { progress: null, invalidate: [nodeKeys.scanStatus(event.data.node_id)] };
    // An operation changes only its device's queue (a failure also withdraws the ones after it there).
    case 'partition.operation_queued':
    case 'partition.operation_removed':
    case 'partition.operations_applied':
    case 'partition.operation_started':
    case 'partition.operation_complete':
    case 'partition.operation_failed':
      return {
        progress: null,
        invalidate: [
          event.data.device
            ? nodeKeys.operations(event.data.node_id, event.data.device)
            : nodeKeys.disks(event.data.node_id),
        ],
      };
    case 'storage.backend_created':
    case 'storage.backend_updated':
    case 'storage.backend_deleted':
      return { progress: null, invalidate: [storageKeys.backends] };
    default:
      return { progress: null, invalidate: [] };
  }
}

function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** `session` moved forward by a progress report; the same object when nothing changes. */
/** A progress report and when the controller recorded it (the event's timestamp), when known. */
export type ProgressReport = CloneProgressData & { reported_at?: string };

export function applyProgress(session: CloneSession, progress: ProgressReport): CloneSession {
  if (session.id !== progress.session_id) return session;
  if (isTerminal(session.status)) return session;
  if (progress.bytes_transferred < session.bytes_transferred) return session;

  const bytesTotal = progress.bytes_total ?? session.bytes_total ?? null;
  const reported = Number.isFinite(progress.progress_percent)
    ? progress.progress_percent
    : percentOf(progress.bytes_transferred, bytesTotal);
  const status: CloneStatus = session.status === 'source_ready' ? 'cloning' : session.status;

  return {
    ...session,
    status,
    bytes_transferred: progress.bytes_transferred,
    bytes_total: bytesTotal,
    progress_percent: Math.max(session.progress_percent ?? 0, reported),
    transfer_rate_bps: progress.transfer_rate_bps ?? session.transfer_rate_bps ?? null,
    transfer_phase: (progress.status as CloneSession['transfer_phase']) ?? session.transfer_phase ?? null,
    last_report_at: progress.reported_at ?? session.last_report_at ?? null,
  };
}

export function percentOf(done: number, total: number | null | undefined): number {
  if (!total || total <= 0) return 0;
  return Math.min(100, (done / total) * 100);
}

/** The detail envelope with progress applied; untouched when absent or unchanged. */
export function applyProgressToDetail(
  cached: ApiResponse<CloneSession> | undefined,
  progress: ProgressReport,
): ApiResponse<CloneSession> | undefined {
  if (!cached?.data) return cached;
  const data = applyProgress(cached.data, progress);
  return data === cached.data ? cached : { ...cached, data };
}

/** A list page with progress applied to the matching row; untouched when no row matches. */
export function applyProgressToList(
  cached: ApiListResponse<CloneSession> | undefined,
  progress: ProgressReport,
): ApiListResponse<CloneSession> | undefined {
  if (!cached?.data) return cached;
  let changed = false;
  const data = cached.data.map((session) => {
    const next = applyProgress(session, progress);
    if (next !== session) changed = true;
    return next;
  });
  return changed ? { ...cached, data } : cached;
}

/**
 * Whether a list shown with `filters` may lack the session a progress report is about: the
 * report means the session is cloning, so a list of cloning sessions (the only status filter
 * a report can move a session into) without it may be stale. An unfiltered list is not: a
 * report changes no session's place in it.
 */
export function mayBeMissingFromList(
  filters: { status?: string },
  cached: ApiListResponse<CloneSession> | undefined,
  sessionId: string,
): boolean {
  if (filters.status !== 'cloning' || !cached?.data) return false;
  return !cached.data.some((session) => session.id === sessionId);
}
