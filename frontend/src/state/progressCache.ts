/**
 * Folds a progress report into the cached sessions (detail and lists) of a
 * React Query client, without refetching — unless a refetch is already under
 * way, whose older answer would otherwise overwrite the report.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { ApiListResponse, ApiResponse } from '../api/client';
import type { CloneSession } from '../types/clone';
import type { CloneListParams } from '../api/clone';
import { applyProgressToDetail, applyProgressToList, mayBeMissingFromList, type ProgressReport } from './cloneEvents';
import { cloneSessionKeys } from './queryKeys';

export function foldProgressIntoCache(queryClient: QueryClient, progress: ProgressReport): void {
  // A status change (source_ready → cloning) can move a row between filtered lists.
  let statusChanged = false;
  const detail = cloneSessionKeys.detail(progress.session_id);
  queryClient.setQueryData<ApiResponse<CloneSession>>(detail, (old) => {
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

  // A fetch still in flight (started by an earlier event, e.g. clone.source_ready) may have read
  // the session before this report; when it lands it would replace the patch with that older
  // state, and no later event might correct it (a source_ready session stuck short of cloning).
  // Invalidating cancels it and fetches again: the controller sends an event only once its read
  // models have it, so the new fetch includes this report.
  if (queryClient.isFetching({ queryKey: detail, exact: true }) > 0) {
    void queryClient.invalidateQueries({ queryKey: detail, exact: true });
  }
  if (statusChanged || queryClient.isFetching({ queryKey: cloneSessionKeys.lists() }) > 0) {
    void queryClient.invalidateQueries({ queryKey: cloneSessionKeys.lists() });
    return;
  }

  // A list that cannot patch the session (it is not among its rows) but whose filter admits a
  // session that reports progress (a Cloning list, when the session started cloning with this
  // report) may be missing it: fetch that list again, once per session, so it converges to what a
  // fresh fetch shows. After that fetch the session is either listed (and patched from then on)
  // or on another page (and stays off this one).
  for (const query of queryClient.getQueryCache().findAll({ queryKey: cloneSessionKeys.lists() })) {
    const filters = (query.queryKey[2] ?? {}) as CloneListParams;
    const data = query.state.data as ApiListResponse<CloneSession> | undefined;
    if (!mayBeMissingFromList(filters, data, progress.session_id)) continue;
    const checked = checkedSessions.get(query) ?? new Set<string>();
    checkedSessions.set(query, checked);
    if (checked.has(progress.session_id)) continue;
    checked.add(progress.session_id);
    void queryClient.invalidateQueries({ queryKey: query.queryKey, exact: true });
  }
}

/** Per list query, the sessions already refetched for (see above): one refetch each, not one per report. */
const checkedSessions = new WeakMap<object, Set<string>>();
