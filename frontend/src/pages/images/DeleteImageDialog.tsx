import { useMutation, useQueryClient } from '@tanstack/react-query';
import { imagesApi } from '../../api/images';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { formatBytes } from '../../lib/format';
import { refusalReason } from '../../lib/fieldErrors';
import { imageKeys } from '../../state/queryKeys';
import type { Image } from '../../types/image';

/**
 * Asks before deleting `image` (open while it is set). The controller refuses
 * an image a session still uses (409, naming the session): its words are
 * shown in the dialog and nothing changes.
 */
export function DeleteImageDialog({ image, onClose }: { image: Image | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (id: string) => imagesApi.remove(id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: imageKeys.lists() }),
  });
  const close = () => {
    remove.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={image !== null}
      title={`Delete image ${image?.name ?? ''}?`}
      confirmLabel="Delete image"
      busy={remove.isPending}
      error={remove.error ? refusalReason(remove.error) : null}
      onConfirm={() => image && remove.mutate(image.id, { onSuccess: close })}
      onCancel={close}
    >
      <p>
        The image ({formatBytes(image?.size_bytes)}) can no longer be restored and its name is free again. Sessions
        that restored it keep their record.
      </p>
    </ConfirmDialog>
  );
}
