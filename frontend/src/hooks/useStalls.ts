/** Stall state of sessions, with the operator's threshold and a clock that ticks every second. */
import { useQuery } from '@tanstack/react-query';
import { cloneApi } from '../api/clone';
import { stallState, type LastReport } from '../lib/stall';
import { cloneSessionKeys } from '../state/queryKeys';
import { useStallMinutes } from '../state/settings';
import type { CloneSession } from '../types/clone';
import { useNow } from './useNow';

export interface SessionStall {
  stalled: boolean;
  silentMs: number | null;
  last: LastReport | undefined;
}

/** For each of `sessions`, whether it stalled and what was last heard. */
export function useStalls(sessions: CloneSession[]): Map<string, SessionStall> {
  const now = useNow(1000);
  const thresholdMs = useStallMinutes() * 60_000;
  const result = new Map<string, SessionStall>();
  for (const session of sessions) {
    const last = lastReport(session);
    result.set(session.id, { ...stallState(session, last, now, thresholdMs), last });
  }
  return result;
}

/** What the controller last heard from the session's nodes (its view, kept current by the event stream). */
export function lastReport(session: Pick<CloneSession, 'last_report_at' | 'transfer_phase'>): LastReport {
  return { at: session.last_report_at ?? null, phase: session.transfer_phase ?? null };
}

const ACTIVE_LIST = { limit: 200, offset: 0 } as const;

/** Every stalled session, across pages (for the header's count). */
export function useStalledSessions(): CloneSession[] {
  const cloning = useQuery({
    queryKey: cloneSessionKeys.list({ status: 'cloning', ...ACTIVE_LIST }),
    queryFn: () => cloneApi.list({ status: 'cloning', ...ACTIVE_LIST }),
  });
  const ready = useQuery({
    queryKey: cloneSessionKeys.list({ status: 'source_ready', ...ACTIVE_LIST }),
    queryFn: () => cloneApi.list({ status: 'source_ready', ...ACTIVE_LIST }),
  });
  const active = [...(cloning.data?.data ?? []), ...(ready.data?.data ?? [])];
  const stalls = useStalls(active);
  return active.filter((session) => stalls.get(session.id)?.stalled);
}
