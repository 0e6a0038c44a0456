/** React Query hooks for nodes and storage backends. */
import { useQuery } from '@tanstack/react-query';
import { nodesApi, storageApi } from '../api/nodes';
import { nodeKeys, storageKeys } from '../state/queryKeys';
import { useQueryFor } from './useQueryFor';

/** Nodes to choose from; the controller's page limit is generous for a lab. */
export function useNodes() {
  return useQuery({
    queryKey: nodeKeys.list(),
    queryFn: () => nodesApi.list({ limit: 200 }),
  });
}

export function useNode(nodeId: string) {
  return useQueryFor(nodeId, nodeKeys.detail(nodeId), () => nodesApi.get(nodeId));
}

export function useStorageBackends(enabled = true) {
  return useQuery({
    queryKey: storageKeys.backends,
    queryFn: () => storageApi.listBackends(),
    enabled,
  });
}
