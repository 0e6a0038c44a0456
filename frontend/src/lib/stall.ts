/**
 * What an operator needs to know about a session at a glance: whether it has
 * gone quiet (stalled), what it is doing or why it ended (one line), and the
 * colour of its progress bar. Pure, so the rules are tested without a browser.
 */
import type { CloneSession } from '../types/clone';
import { formatDuration } from './format';

/**
 * What the controller last heard from a session's nodes (the session's `last_report_at` and
 * `transfer_phase`): when, and the transfer phase they reported. The time is the controller's
 * clock, compared with the browser's: a skew between them shifts the stall by as much.
 */
export interface LastReport {
  /** RFC 3339; null before the first progress report. */
  at: string | null;
  /** `transferring`, `verifying` or `resizing`, from the last progress report. */
  phase: string | null;
}

/** Statuses in which the nodes are expected to keep reporting. */
const REPORTING: readonly string[] = ['source_ready', 'cloning'];

/**
 * How long the session has been silent (ms) and whether that exceeds the threshold. Only a
 * session whose nodes should be reporting can stall; silence is counted from the last report,
 * or from when the session started when none was heard.
 */
export function stallState(
  session: Pick<CloneSession, 'status' | 'started_at' | 'created_at'>,
  last: LastReport | undefined,
  now: Date,
  thresholdMs: number,
): { stalled: boolean; silentMs: number | null } {
  if (!REPORTING.includes(session.status)) return { stalled: false, silentMs: null };
  const since = latest(last?.at, session.started_at ?? session.created_at);
  if (since === null) return { stalled: false, silentMs: null };
  const silentMs = Math.max(0, now.getTime() - since);
  return { stalled: silentMs >= thresholdMs, silentMs };
}

function latest(...values: (string | null | undefined)[]): number | null {
  const times = values.map((v) => (v ? Date.parse(v) : NaN)).filter((t) => Number.isFinite(t));
  return times.length ? Math.max(...times) : null;
}

/** "8 min", "45 s", "2 h 05 min": how long a session has been silent. */
export function formatSilence(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** One line on why a session is where it is: failure reason, phase, what it waits for, or the stall. */
export function statusMessage(
  session: Pick<CloneSession, 'status' | 'error_message' | 'duration_seconds'>,
  last: LastReport | undefined,
  stall: { stalled: boolean; silentMs: number | null },
): string {
  if (stall.stalled && stall.silentMs !== null) return `Stalled: no report for ${formatSilence(stall.silentMs)}`;
  switch (session.status) {
    case 'pending':
      return 'Waiting for the source node';
    case 'source_ready':
      return 'Source ready, waiting for the target';
    case 'cloning':
      return PHASE_TEXT[last?.phase ?? ''] ?? 'Transferring';
    case 'completed':
      return session.duration_seconds != null ? `Completed in ${formatDuration(session.duration_seconds)}` : 'Completed';
    case 'failed':
      return session.error_message ? `Failed: ${session.error_message}` : 'Failed (no reason reported)';
    case 'cancelled':
      return 'Cancelled';
    default:
      return session.status;
  }
}

const PHASE_TEXT: Record<string, string> = {
  transferring: 'Transferring',
  verifying: 'Verifying',
  resizing: 'Resizing partitions',
};

export type BarTone = 'running' | 'stalled' | 'done' | 'failed' | 'idle';

/** The progress bar's colour: blue while it moves, amber when stalled, green/red when it ended, gray otherwise. */
export function barTone(status: string, stalled: boolean): BarTone {
  if (status === 'completed') return 'done';
  if (status === 'failed') return 'failed';
  if (stalled) return 'stalled';
  if (status === 'cloning') return 'running';
  return 'idle';
}
