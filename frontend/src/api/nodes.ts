/** Node and storage backend endpoints. */
import { apiClient, queryString } from './client';
import type { ApiListResponse, ApiResponse } from './client';
import type { Node, NodeCreate, NodeRegistered, StorageBackend } from '../types/node';

export const nodesApi = {
  list(params: { limit?: number; offset?: number } = {}): Promise<ApiListResponse<Node>> {
    return apiClient.get(`/nodes${queryString(params)}`);
  },

  get(nodeId: string): Promise<ApiResponse<Node>> {
    return apiClient.get(`/nodes/${encodeURIComponent(nodeId)}`);
  },

  create(data: NodeCreate): Promise<ApiResponse<NodeRegistered>> {
    return apiClient.post('/nodes', data);
  },
};

export const storageApi = {
  listBackends(): Promise<ApiListResponse<StorageBackend>> {
    return apiClient.get('/storage/backends');
  },
};
