/** Clone session endpoints (list, get, create, change, cancel, delete) and the session timeline. */
import { apiClient, queryString } from './client';
import type { ApiListResponse, ApiResponse } from './client';
import type {
  CloneAnalysis,
  CloneDeleteOutcome,
  CloneHistoryEntry,
  ClonePlanUpdate,
  ClonePlanView,
  CloneProgressUpdate,
  CloneSession,
  CloneSessionCreate,
  CloneSessionCreated,
  CloneSessionUpdate,
  CloneSessionUpdated,
  CloneSourceReady,
  CloneStartAck,
} from '../types/clone';

export interface CloneListParams {
  status?: string;
  /** Only sessions with this node as source or target. */
  node_id?: string;
  limit?: number;
  offset?: number;
}

const session = (id: string) => `/clone-sessions/${encodeURIComponent(id)}`;

export const cloneApi = {
  list(params: CloneListParams = {}): Promise<ApiListResponse<CloneSession>> {
    return apiClient.get(`/clone-sessions${queryString({ ...params })}`);
  },

  get(sessionId: string): Promise<ApiResponse<CloneSession>> {
    return apiClient.get(session(sessionId));
  },

  create(data: CloneSessionCreate): Promise<ApiResponse<CloneSessionCreated>> {
    return apiClient.post('/clone-sessions', data);
  },

  update(sessionId: string, data: CloneSessionUpdate): Promise<ApiResponse<CloneSessionUpdated>> {
    return apiClient.patch(session(sessionId), data);
  },

  /** Deletes the session, or cancels it while it is cloning (`outcome` says which). */
  delete(sessionId: string): Promise<ApiResponse<CloneDeleteOutcome>> {
    return apiClient.delete(session(sessionId));
  },

  /** Compares the source's and target's latest disk scans: what fits, and the resize that makes it fit. */
  analyze(sessionId: string): Promise<ApiResponse<CloneAnalysis>> {
    return apiClient.post(`${session(sessionId)}/analyze`, {});
  },

  /** Starts a pending session once its plan checks out (required for shrink_source). */
  start(sessionId: string): Promise<ApiResponse<CloneStartAck>> {
    return apiClient.post(`${session(sessionId)}/start`, {});
  },

  /** The session's resize plan, and whether it checks out against the disks' latest scans. */
  plan(sessionId: string): Promise<ApiResponse<ClonePlanView>> {
    return apiClient.get(`${session(sessionId)}/plan`);
  },

  /** Replaces the plan whole (empty clears it); refused once the session started. */
  setPlan(sessionId: string, plan: ClonePlanUpdate): Promise<ApiResponse<ClonePlanView>> {
    return apiClient.put(`${session(sessionId)}/plan`, plan);
  },

  /** The session's events, oldest first, for its timeline. */
  history(sessionId: string): Promise<ApiResponse<CloneHistoryEntry[]>> {
    return apiClient.get(`${session(sessionId)}/history`);
  },

  // Node callbacks: the nodes call these; here for tooling and tests.
  sourceReady(sessionId: string, data: CloneSourceReady): Promise<ApiResponse<{ status: string }>> {
    return apiClient.post(`${session(sessionId)}/source-ready`, data);
  },

  progress(sessionId: string, data: CloneProgressUpdate): Promise<ApiResponse<{ progress_percent: number }>> {
    return apiClient.post(`${session(sessionId)}/progress`, data);
  },

  complete(sessionId: string): Promise<ApiResponse<{ status: string; duration_seconds: number }>> {
    return apiClient.post(`${session(sessionId)}/complete`, {});
  },

  failed(sessionId: string, error: string): Promise<ApiResponse<{ status: string }>> {
    return apiClient.post(`${session(sessionId)}/failed${queryString({ error })}`, {});
  },
};
