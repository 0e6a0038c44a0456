/**
 * React Query hooks for clone sessions: list, one session, create, change,
 * cancel and delete. No polling:
 * useCloneUpdates keeps these queries fresh from the event stream.
 */
import { keepPreviousData, type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { cloneApi, type CloneListParams } from '../api/clone';
import { cloneSessionKeys } from '../state/queryKeys';
import type { ClonePlanUpdate, CloneSessionCreate, CloneSessionUpdate } from '../types/clone';
import { useQueryFor } from './useQueryFor';

export { cloneSessionKeys } from '../state/queryKeys';

export function useCloneSessions(filters: CloneListParams = {}) {
  return useQuery({
    queryKey: cloneSessionKeys.list(filters),
    queryFn: () => cloneApi.list(filters),
    placeholderData: keepPreviousData, // no flash of empty table while paging
  });
}

export function useCloneSession(sessionId: string) {
  return useQueryFor(sessionId, cloneSessionKeys.detail(sessionId), () => cloneApi.get(sessionId));
}

export function useCloneHistory(sessionId: string) {
  return useQueryFor(sessionId, cloneSessionKeys.history(sessionId), () => cloneApi.history(sessionId));
}

/** The resize plan; under the detail's key, so every change to the session refreshes it. */
export function useClonePlan(sessionId: string) {
  return useQueryFor(sessionId, cloneSessionKeys.plan(sessionId), () => cloneApi.plan(sessionId));
}

/** Replaces the plan (`PUT …/plan`); the answer is the plan as stored, put straight into the cache. */
export function useSetClonePlan(sessionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (plan: ClonePlanUpdate) => cloneApi.setPlan(sessionId, plan),
    onSuccess: (answer) => queryClient.setQueryData(cloneSessionKeys.plan(sessionId), answer),
  });
}

export function useCreateCloneSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (data: CloneSessionCreate) => cloneApi.create(data),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: cloneSessionKeys.lists() }),
  });
}

export function useUpdateCloneSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ sessionId, data }: { sessionId: string; data: CloneSessionUpdate }) =>
      cloneApi.update(sessionId, data),
    onSuccess: (_, { sessionId }) => refreshSession(queryClient, sessionId),
  });
}

/** Deletes a session, or cancels it while it is cloning (the server decides). */
/** Starts a pending session (`POST …/start`); the view then shows `start_requested_at`. */
export function useStartCloneSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (sessionId: string) => cloneApi.start(sessionId),
    onSuccess: (_, sessionId) => {
      void queryClient.invalidateQueries({ queryKey: cloneSessionKeys.detail(sessionId) });
    },
  });
}

/** Compares the session's disks (records nothing). */
export function useAnalyzeCloneSession() {
  return useMutation({ mutationFn: (sessionId: string) => cloneApi.analyze(sessionId) });
}

export function useDeleteCloneSession() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (sessionId: string) => cloneApi.delete(sessionId),
    onSuccess: (_, sessionId) => refreshSession(queryClient, sessionId),
  });
}

/** A session changed or went away: its detail and every list that may show it. */
function refreshSession(queryClient: QueryClient, sessionId: string) {
  void queryClient.invalidateQueries({ queryKey: cloneSessionKeys.detail(sessionId) });
  void queryClient.invalidateQueries({ queryKey: cloneSessionKeys.lists() });
}
