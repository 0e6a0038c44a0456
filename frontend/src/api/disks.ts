/**
 * Disk inventory and partition operation endpoints of a node. Device paths
 * such as /dev/sda travel URL-encoded as one path segment (%2Fdev%2Fsda).
 */
import { apiClient } from './client';
import type { ApiListResponse, ApiResponse } from './client';
import type {
  Deleted,
  DiskInfo,
  DiskScanStatus,
  PartitionOperation,
  PartitionOperationCreate,
} from '../types/disk';

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
  requestScan(nodeId: string): Promise<ApiResponse<DiskScanStatus>> {
    return apiClient.post(`${node(nodeId)}/disks/scan`, {});
  },

  scanStatus(nodeId: string): Promise<ApiResponse<DiskScanStatus>> {
    return apiClient.get(`${node(nodeId)}/disks/scan-status`);
  },

  operations(nodeId: string, device: string): Promise<ApiListResponse<PartitionOperation>> {
    return apiClient.get(`${disk(nodeId, device)}/operations`);
  },

  /** Queues an operation at the end of the device's queue; 409 with the reason when it would not fit. */
  queue(nodeId: string, device: string, data: PartitionOperationCreate): Promise<ApiResponse<PartitionOperation>> {
    return apiClient.post(`${disk(nodeId, device)}/operations`, data);
  },

  /** Removes an operation that has not been applied yet. */
  remove(nodeId: string, device: string, operationId: string): Promise<ApiResponse<Deleted>> {
    return apiClient.delete(`${disk(nodeId, device)}/operations/${encodeURIComponent(operationId)}`);
  },

  /** Hands the queued operations of one disk to the node, in sequence order. */
  apply(nodeId: string, device: string): Promise<ApiResponse<PartitionOperation[]>> {
    return apiClient.post(`${disk(nodeId, device)}/apply`, {});
  },
};
