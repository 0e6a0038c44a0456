/**
 * Keeps the React Query cache in step with the controller's event stream, so
 * no page polls: progress is written into the cached sessions, other events
 * mark the affected queries stale (see state/cloneEvents.ts for the rules).
 */
import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ApiListResponse, ApiResponse } from '../api/client';
import type { CloneProgressData } from '../api/events';
import { applyProgressToDetail, applyProgressToList, cacheEffects } from '../state/cloneEvents';
import { cloneSessionKeys } from '../state/queryKeys';
import type { CloneSession } from '../types/clone';
import { useWebSocket, type WebSocketEvent } from './useWebSocket';

export function useCloneUpdates() {
  const queryClient = useQueryClient();

  const applyProgress = useCallback(
    (progress: CloneProgressData) => {
      // A status change (source_ready → cloning) can move a row between filtered lists.
      let statusChanged = false;
      queryClient.setQueryData<ApiResponse<CloneSession>>(cloneSessionKeys.detail(progress.session_id), (old) => {
        const next = applyProgressToDetail(old, progress);
        if (old && next && old.data.status !== next.data.status) statusChanged = true;
        return next;
      });
      queryClient.setQueriesData<ApiListResponse<CloneSession>>({ queryKey: cloneSessionKeys.lists() }, (old) => {
        const next = applyProgressToList(old, progress);
        if (old && next && next.data.some((session, i) => session.status !== old.data[i]?.status)) {
          statusChanged = true;
        }
        return next;
      });
      if (statusChanged) void queryClient.invalidateQueries({ queryKey: cloneSessionKeys.lists() });
    },
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
