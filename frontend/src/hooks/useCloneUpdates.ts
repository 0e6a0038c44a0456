/**
 * Keeps the React Query cache in step with the controller's event stream, so
 * no page polls: progress is written into the cached sessions (state/progressCache.ts),
 * other events mark the affected queries stale (see state/cloneEvents.ts for the rules).
 */
import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { cacheEffects, type ProgressReport } from '../state/cloneEvents';
import { foldProgressIntoCache } from '../state/progressCache';
import { useWebSocket, type WebSocketEvent } from './useWebSocket';

export function useCloneUpdates() {
  const queryClient = useQueryClient();

  const applyProgress = useCallback(
    (progress: ProgressReport) => foldProgressIntoCache(queryClient, progress),
    [queryClient],
  );

  const onEvent = useCallback(
    (event: WebSocketEvent) => {
      const effects = cacheEffects(event);
      if (effects.progress) applyProgress(effects.progress);
      for (const queryKey of effects.invalidate) void queryClient.invalidateQueries({ queryKey });
    },
    [queryClient, applyProgress],
  );

  const onGap = useCallback(() => void queryClient.invalidateQueries(), [queryClient]);

  return useWebSocket({ onEvent, onGap });
}
