/**
 * When the UI last heard from each active session's nodes (see lib/stall.ts).
 * Seeded once per session from the audit log (the API's session view has no
 * "last report" time), then kept current by the event stream: useCloneUpdates
 * writes every clone event's timestamp here.
 */
import { useQueries, useQuery, type QueryClient } from '@tanstack/react-query';
import { auditApi } from '../api/audit';
import { cloneApi } from '../api/clone';
import type { LastReport } from '../lib/stall';
import type { CloneSession } from '../types/clone';

const ACTIVE: readonly string[] = ['source_ready', 'cloning'];
/** How far back the audit log is read: a live session reported within it; a quiet one falls back to its history. */
const WINDOW_MS = 30 * 60_000;

export const lastReportKey = (sessionId: string) => ['last-report', sessionId] as const;

async function fetchLastReport(sessionId: string): Promise<LastReport> {
  const page = await auditApi.events({
    stream: `clone_session:${sessionId}`,
    from: new Date(Date.now() - WINDOW_MS).toISOString(),
    limit: 1000,
  });
  let entries = page.data.map((e) => ({ at: e.recorded_at, type: e.event_type, payload: e.payload }));
  // More than a page within the window: it is certainly not quiet; the history says the rest.
  if (entries.length === 0 || page.next_after != null) {
    const history = await cloneApi.history(sessionId);
    entries = history.data.map((e) => ({ at: e.recorded_at, type: e.event_type, payload: e.payload }));
  }
  return reduceReports(entries);
}

/** The last entry's time and the phase of the last progress report among `entries` (oldest first). */
export function reduceReports(entries: { at: string; type: string; payload: unknown }[]): LastReport {
  let phase: string | null = null;
  for (const entry of entries) {
    if (entry.type.endsWith('progress_reported')) {
      const status = (entry.payload as { status?: unknown } | null)?.status;
      phase = typeof status === 'string' ? status : phase;
    }
  }
  return { at: entries.at(-1)?.at ?? null, phase };
}

const options = (session: Pick<CloneSession, 'id' | 'status'>) => ({
  queryKey: lastReportKey(session.id),
  queryFn: () => fetchLastReport(session.id),
  enabled: ACTIVE.includes(session.status),
  staleTime: Infinity,
});

export function useLastReport(session: Pick<CloneSession, 'id' | 'status'>) {
  return useQuery(options(session)).data;
}

/** Last reports of several sessions, by session id. */
export function useLastReports(sessions: Pick<CloneSession, 'id' | 'status'>[]): Map<string, LastReport> {
  const results = useQueries({ queries: sessions.map(options) });
  const map = new Map<string, LastReport>();
  results.forEach((result, index) => {
    const session = sessions[index];
    if (session && result.data) map.set(session.id, result.data);
  });
  return map;
}

/** Records that a session's nodes were heard from at `at` (a phase when the event was a progress report). */
export function recordReport(queryClient: QueryClient, sessionId: string, at: string, phase?: string | null) {
  queryClient.setQueryData<LastReport>(lastReportKey(sessionId), (old) => ({
    at: old?.at && Date.parse(old.at) > Date.parse(at) ? old.at : at,
    phase: phase ?? old?.phase ?? null,
  }));
}
