/**
 * React Query hooks for a node's disks and partition operations. No polling:
 * partition.* events refresh them (state/cloneEvents.ts); mutations also
 * refresh what they changed, so the page is right even before the event.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { disksApi } from '../api/disks';
import { nodeKeys } from '../state/queryKeys';
import type { PartitionOperationCreate } from '../types/disk';
import { useQueryFor } from './useQueryFor';

export function useNodeDisks(nodeId: string) {
  return useQueryFor(nodeId, nodeKeys.diskList(nodeId), () => disksApi.list(nodeId));
}

export function useDiskScanStatus(nodeId: string) {
  return useQueryFor(nodeId, nodeKeys.scanStatus(nodeId), () => disksApi.scanStatus(nodeId));
}

export function useDiskOperations(nodeId: string, device: string) {
  return useQuery({
    queryKey: nodeKeys.operations(nodeId, device),
    queryFn: () => disksApi.operations(nodeId, device),
    enabled: !!nodeId && !!device,
  });
}

export function useRequestScan(nodeId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => disksApi.requestScan(nodeId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: nodeKeys.scanStatus(nodeId) }),
  });
}

/** Mutations on one device's queue; each refreshes that queue when it succeeds. */
function useQueueMutation<TVariables, TResult>(
  nodeId: string,
  device: string,
  mutationFn: (variables: TVariables) => Promise<TResult>,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: nodeKeys.operations(nodeId, device) }),
  });
}

export function useQueueOperation(nodeId: string, device: string) {
  return useQueueMutation(nodeId, device, (data: PartitionOperationCreate) => disksApi.queue(nodeId, device, data));
}

export function useRemoveOperation(nodeId: string, device: string) {
  return useQueueMutation(nodeId, device, (operationId: string) => disksApi.remove(nodeId, device, operationId));
}

export function useApplyOperations(nodeId: string, device: string) {
  return useQueueMutation<void, Awaited<ReturnType<typeof disksApi.apply>>>(nodeId, device, () =>
    disksApi.apply(nodeId, device),
  );
}
