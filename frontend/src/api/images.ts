/** Golden image endpoints: list, delete. Restores are clone sessions (see `lib/restore`). */
import { apiClient, queryString } from './client';
import type { ApiListResponse, ApiResponse } from './client';
import type { Image } from '../types/image';

/** `GET /images` filters: `name` matches part of the name, any case; empty ones are left out. */
export interface ImageListParams {
  name?: string;
  backend_id?: string;
  source_node_id?: string;
  limit?: number;
  offset?: number;
}

export const imagesApi = {
  list(params: ImageListParams = {}): Promise<ApiListResponse<Image>> {
    return apiClient.get(`/images${queryString({ ...params })}`);
  },

  remove(imageId: string): Promise<ApiResponse<{ id: string }>> {
    return apiClient.delete(`/images/${encodeURIComponent(imageId)}`);
  },
};
