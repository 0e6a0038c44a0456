import { useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router-dom';
import { imagesApi } from '../../api/images';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Pagination } from '../../components/Pagination';
import { usePageTitle } from '../../hooks/usePageTitle';
import { hasFilters, imageFiltersFrom, type ImageFilters } from '../../lib/images';
import { imageKeys } from '../../state/queryKeys';
import type { Image } from '../../types/image';
import { CapturesInProgress } from './CapturesInProgress';
import { DeleteImageDialog } from './DeleteImageDialog';
import { ImageFiltersBar } from './ImageFiltersBar';
import { ImageTable } from './ImageTable';
import { RestoreForm } from './RestoreForm';

const PAGE_SIZE = 20;

/**
 * The golden images that can be restored, the captures still on their way,
 * and a way to restore an image onto several nodes or delete it. Filters and
 * page live in the URL; the event stream (image.ready, image.cleanup_started, image.deleted) keeps
 * the list current without polling.
 */
export function ImagesPage() {
  usePageTitle('Images');
  const [params, setParams] = useSearchParams();
  const filters = imageFiltersFrom(params);
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const request = { ...filters, limit: PAGE_SIZE, offset };
  const images = useQuery({
    queryKey: imageKeys.list(request),
    queryFn: () => imagesApi.list(request),
    placeholderData: keepPreviousData,
  });
  const [restoring, setRestoring] = useState<Image | null>(null);
  const [deleting, setDeleting] = useState<Image | null>(null);
  const list = images.data?.data ?? [];

  function update(next: Partial<ImageFilters> & { offset?: number }) {
    const merged = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value === undefined) continue;
      // An empty filter or the first page is the default: left out of the URL.
      if (value === '' || value === 0) merged.delete(key);
      else merged.set(key, String(value));
    }
    if (next.offset === undefined) merged.delete('offset'); // a new filter starts on its first page
    setParams(merged, { replace: true });
  }

  return (
    <section>
      <h1>Images</h1>
      <p className="hint">
        Golden images captured by staged clone sessions. A restore creates one session per target node, so
        each target restores on its own.
      </p>
      <CapturesInProgress />
      <ImageFiltersBar filters={filters} onChange={update} />
      {images.isPending && <p role="status">Loading images…</p>}
      {images.isError && <ErrorNotice error={images.error} what="images" onRetry={() => void images.refetch()} />}
      {images.isSuccess && list.length === 0 && (
        <p className="empty-state">
          {hasFilters(filters)
            ? 'No images match these filters.'
            : 'No images yet — a staged clone session without an image_id captures one.'}
        </p>
      )}
      {list.length > 0 && <ImageTable images={list} onRestore={setRestoring} onDelete={setDeleting} />}
      <Pagination
        offset={offset}
        limit={PAGE_SIZE}
        total={images.data?.total ?? 0}
        onChange={(next) => update({ offset: next })}
      />
      {restoring && <RestoreForm key={restoring.id} image={restoring} onClose={() => setRestoring(null)} />}
      <DeleteImageDialog image={deleting} onClose={() => setDeleting(null)} />
    </section>
  );
}
