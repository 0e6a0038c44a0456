/**
 * Disk inventory and partition operation endpoints of a node. Device paths
 * such as /dev/sda travel URL-encoded as one path segment (%2Fdev%2Fsda).
 */
import { apiClient } from './client';
import type { ApiListResponse, ApiResponse } from './client';
import type { DiskInfo, PartitionOperation } from '../types/disk';

const node = (nodeId: string) => `/nodes/${encodeURIComponent(nodeId)}`;
const disk = (nodeId: string, device: string) => `${node(nodeId)}/disks/${encodeURIComponent(device)}`;

export const disksApi = {
  list(nodeId: string): Promise<ApiListResponse<DiskInfo>> {
    return apiClient.get(`${node(nodeId)}/disks`);
  },

  get(nodeId: string, device: string): Promise<ApiResponse<DiskInfo>> {
    return apiClient.get(disk(nodeId, device));
  },

  /** Asks the node for a fresh scan; results arrive as partition.scan_complete. */
  requestScan(nodeId: string): Promise<ApiResponse<unknown>> {
    return apiClient.post(`${node(nodeId)}/disks/scan`, {});
  },

  operations(nodeId: string, device: string): Promise<ApiListResponse<PartitionOperation>> {
    return apiClient.get(`${disk(nodeId, device)}/operations`);
  },

  /** Executes the queued operations of one disk, in sequence order. */
  apply(nodeId: string, device: string): Promise<ApiResponse<unknown>> {
    return apiClient.post(`${disk(nodeId, device)}/apply`, {});
  },
};
