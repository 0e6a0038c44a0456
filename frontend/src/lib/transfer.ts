/**
 * The transfer card's derived figures, pure so they are tested without a browser: elapsed time
 * while cloning, average rate once finished, how much of the disk crossed the network (the rest
 * was skipped as empty or already on the target) and how far verification got.
 */
import type { CloneSession } from '../types/clone';
import { clampPercent, parseDate } from './format';

type Facts = Pick<
  CloneSession,
  | 'status'
  | 'started_at'
  | 'completed_at'
  | 'duration_seconds'
  | 'bytes_total'
  | 'bytes_transferred'
  | 'bytes_on_wire'
  | 'transfer_phase'
  | 'verified_bytes'
>;

export interface TransferFigures {
  /** Seconds since the source was ready, while the clone runs; null otherwise. */
  elapsedSeconds: number | null;
  /** Bytes per second over the whole transfer, once completed; null otherwise or when unknown. */
  averageRate: number | null;
  /** Bytes sent over the network, when the agent reported them. */
  wireBytes: number | null;
  /** Percent of the copied bytes that did not cross the network (skipped); null when unknown. */
  skippedPercent: number | null;
  /** Percent verified, while the agent verifies the target; null otherwise. */
  verifyPercent: number | null;
}

export function transferFigures(session: Facts, now: Date): TransferFigures {
  const cloning = session.status === 'cloning' || session.status === 'source_ready';
  const started = parseDate(session.started_at);
  const elapsedSeconds = cloning && started ? Math.max(0, (now.getTime() - started.getTime()) / 1000) : null;
  const averageRate =
    session.status === 'completed' && session.duration_seconds
      ? (session.bytes_total ?? session.bytes_transferred) / session.duration_seconds
      : null;
  const wireBytes = session.bytes_on_wire ?? null;
  const skippedPercent =
    wireBytes !== null && session.bytes_transferred > 0
      ? clampPercent(100 * (1 - wireBytes / session.bytes_transferred))
      : null;
  const verifying = session.status === 'cloning' && session.transfer_phase === 'verifying';
  const verifyPercent =
    verifying && session.bytes_total ? clampPercent((100 * (session.verified_bytes ?? 0)) / session.bytes_total) : null;
  return { elapsedSeconds, averageRate, wireBytes, skippedPercent, verifyPercent };
}
