/**
 * Keeps the React Query cache in step with the controller's event stream, so
 * no page polls: progress is written into the cached sessions (state/progressCache.ts),
 * other events mark the affected queries stale (see state/cloneEvents.ts for the rules).
 */
import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { CloneProgressData } from '../api/events';
import { cacheEffects } from '../state/cloneEvents';
import { foldProgressIntoCache } from '../state/progressCache';
import { recordReport } from './useLastReport';
import { useWebSocket, type WebSocketEvent } from './useWebSocket';

/** Events that mean a session's node spoke (operator actions do not prove a node alive). */
const NODE_REPORTS = new Set(['clone.started', 'clone.source_ready', 'clone.progress']);

export function useCloneUpdates() {
  const queryClient = useQueryClient();

  const applyProgress = useCallback(
    (progress: CloneProgressData) => foldProgressIntoCache(queryClient, progress),
    [queryClient],
  );

  const onEvent = useCallback(
    (event: WebSocketEvent) => {
      const effects = cacheEffects(event);
      // Heard from the session's nodes now (the browser's clock: stalls are measured against it).
      if (NODE_REPORTS.has(event.type) && 'session_id' in event.data) {
        const phase = event.type === 'clone.progress' ? event.data.status : null;
        recordReport(queryClient, event.data.session_id, new Date().toISOString(), phase);
      }
      if (effects.progress) applyProgress(effects.progress);
      for (const queryKey of effects.invalidate) void queryClient.invalidateQueries({ queryKey });
    },
    [queryClient, applyProgress],
  );

  const onGap = useCallback(() => void queryClient.invalidateQueries(), [queryClient]);

  return useWebSocket({ onEvent, onGap });
}
