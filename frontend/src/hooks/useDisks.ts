/**
 * React Query hooks for a node's disks and partition operations. These
 * endpoints arrive after Phase 1, so callers treat a 404 as "not available".
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { disksApi } from '../api/disks';
import { nodeKeys } from '../state/queryKeys';

export function useNodeDisks(nodeId: string) {
  return useQuery({
    queryKey: nodeKeys.disks(nodeId),
    queryFn: () => disksApi.list(nodeId),
    enabled: !!nodeId,
  });
}

export function useDiskOperations(nodeId: string, device: string) {
  return useQuery({
    queryKey: nodeKeys.operations(nodeId, device),
    queryFn: () => disksApi.operations(nodeId, device),
  });
}

export function useRequestScan(nodeId: string) {
  return useMutation({ mutationFn: () => disksApi.requestScan(nodeId) });
}

export function useApplyOperations(nodeId: string, device: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => disksApi.apply(nodeId, device),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: nodeKeys.disks(nodeId) }),
  });
}
