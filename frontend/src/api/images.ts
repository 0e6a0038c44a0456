/** Golden image endpoints: list, delete. Restores are clone sessions (see `lib/restore`). */
import { apiClient, queryString } from './client';
import type { ApiListResponse, ApiResponse } from './client';
import type { Image } from '../types/image';

export const imagesApi = {
  list(params: { name?: string; limit?: number; offset?: number } = {}): Promise<ApiListResponse<Image>> {
    return apiClient.get(`/images${queryString(params)}`);
  },

  remove(imageId: string): Promise<ApiResponse<{ id: string }>> {
    return apiClient.delete(`/images/${encodeURIComponent(imageId)}`);
  },
};
