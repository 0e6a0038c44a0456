import { Bytes } from '../../components/Bytes';
import { RelativeTime } from '../../components/RelativeTime';
import { NONE } from '../../lib/format';
import { isReady } from '../../lib/images';
import type { Image } from '../../types/image';

interface ImageTableProps {
  images: Image[];
  onRestore: (image: Image) => void;
  onDelete: (image: Image) => void;
}

/** One row per image: what it holds, where it is stored, and restore / delete while it is ready. */
export function ImageTable({ images, onRestore, onDelete }: ImageTableProps) {
  return (
    <div className="table-scroll" role="region" aria-label="Images" tabIndex={0}>
      <table className="cards-on-phone">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Size</th>
            <th scope="col">Source</th>
            <th scope="col">Backend</th>
            <th scope="col">Ready</th>
            <th scope="col">Digest</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {images.map((image) => (
            <tr key={image.id} data-image-id={image.id}>
              <td data-label="Name">
                {image.name}
                {/* Listed while on its way out (a cleanup, say): shown as the server says, no actions. */}
                {!isReady(image) && <span className="badge badge-light-gray"> {image.status}</span>}
              </td>
              <td data-label="Size">
                <Bytes value={image.size_bytes} />
              </td>
              <td data-label="Source">
                {image.source_node_name ?? NONE} <code>{image.source_device}</code>
              </td>
              <td data-label="Backend">
                {image.backend_name ?? NONE} ({image.backend_type})
              </td>
              <td data-label="Ready">
                <RelativeTime value={image.ready_at} />
              </td>
              <td data-label="Digest">
                <code title={image.digest}>{image.digest.slice(0, 12)}…</code>
              </td>
              <td className="row-actions">
                {isReady(image) && (
                  <>
                    <button type="button" onClick={() => onRestore(image)}>
                      Restore…
                    </button>{' '}
                    <button type="button" className="danger" onClick={() => onDelete(image)}>
                      Delete…
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
