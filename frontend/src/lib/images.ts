/**
 * The Images page's rules, as pure functions: which staged sessions are
 * captures still on their way to an image, and which images can be restored
 * or deleted. An image is listed `ready`; a status the UI does not know (a
 * controller that lists images while they are cleaned up, say) is shown as
 * it is and offers neither action.
 */
import { TERMINAL_STATUSES, type CloneSession, type StagingStatus } from '../types/clone';
import type { Image } from '../types/image';

/** A capture's staging before `ready`: the image does not exist yet. */
const CAPTURING: readonly StagingStatus[] = ['pending', 'provisioned', 'uploading'];

/** Staged sessions still capturing their image (restores are `ready`/`downloading`), in the order given. */
export function capturesInProgress(sessions: readonly CloneSession[]): CloneSession[] {
  return sessions.filter(
    (s) =>
      s.clone_mode === 'staged' &&
      !TERMINAL_STATUSES.includes(s.status) &&
      s.staging_status != null &&
      CAPTURING.includes(s.staging_status),
  );
}

/** Whether restore and delete apply: only to a ready image. */
export function isReady(image: Pick<Image, 'status'>): boolean {
  return image.status === 'ready';
}

export interface ImageFilters {
  name: string;
  backend_id: string;
  source_node_id: string;
}

export const NO_IMAGE_FILTERS: ImageFilters = { name: '', backend_id: '', source_node_id: '' };

/** The filters from the page's URL (so a filtered view can be shared); missing ones are empty. */
export function imageFiltersFrom(params: URLSearchParams): ImageFilters {
  return {
    name: params.get('name') ?? '',
    backend_id: params.get('backend_id') ?? '',
    source_node_id: params.get('source_node_id') ?? '',
  };
}

export function hasFilters(filters: ImageFilters): boolean {
  return Object.values(filters).some((value) => value.trim() !== '');
}
