/**
 * React Query cache keys. Narrower keys extend wider ones, so invalidating
 * `cloneSessionKeys.detail(id)` also refreshes that session's history.
 */
import type { CloneListParams } from '../api/clone';

export const cloneSessionKeys = {
  all: ['clone-sessions'] as const,
  lists: () => [...cloneSessionKeys.all, 'list'] as const,
  list: (filters: CloneListParams) => [...cloneSessionKeys.lists(), filters] as const,
  details: () => [...cloneSessionKeys.all, 'detail'] as const,
  detail: (id: string) => [...cloneSessionKeys.details(), id] as const,
  history: (id: string) => [...cloneSessionKeys.detail(id), 'history'] as const,
  plan: (id: string) => [...cloneSessionKeys.detail(id), 'plan'] as const,
};

export const nodeKeys = {
  all: ['nodes'] as const,
  list: () => [...nodeKeys.all, 'list'] as const,
  detail: (id: string) => [...nodeKeys.all, 'detail', id] as const,
  /** Everything about a node's disks: its list, scan status and every device's operations. */
  disks: (id: string) => [...nodeKeys.detail(id), 'disks'] as const,
  diskList: (id: string) => [...nodeKeys.disks(id), 'list'] as const,
  scanStatus: (id: string) => [...nodeKeys.disks(id), 'scan-status'] as const,
  operations: (id: string, device: string) => [...nodeKeys.disks(id), 'operations', device] as const,
};

export const imageKeys = {
  all: ['images'] as const,
  lists: () => [...imageKeys.all, 'list'] as const,
  list: (filters: object) => [...imageKeys.lists(), filters] as const,
};

export const storageKeys = {
  backends: ['storage', 'backends'] as const,
};

export const auditKeys = {
  all: ['audit'] as const,
  events: (params: object) => [...auditKeys.all, 'events', params] as const,
  report: (params: object) => [...auditKeys.all, 'report', params] as const,
};
