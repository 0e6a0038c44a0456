import { Options } from '../../components/Options';
import { useNodes, useStorageBackends } from '../../hooks/useNodes';
import type { ImageFilters } from '../../lib/images';

interface ImageFiltersBarProps {
  filters: ImageFilters;
  onChange: (next: Partial<ImageFilters>) => void;
}

/** The filters `GET /images` offers: part of the name (any case), the backend, the source node. */
export function ImageFiltersBar({ filters, onChange }: ImageFiltersBarProps) {
  const backends = useStorageBackends();
  const nodes = useNodes();
  return (
    <div className="toolbar" role="search" aria-label="Filter images">
      <div className="field field-inline">
        <label htmlFor="image-name-filter">Name</label>
        <input
          id="image-name-filter"
          type="text"
          value={filters.name}
          placeholder="part of the name"
          onChange={(event) => onChange({ name: event.target.value })}
        />
      </div>
      <div className="field field-inline">
        <label htmlFor="image-backend-filter">Backend</label>
        <select
          id="image-backend-filter"
          value={filters.backend_id}
          onChange={(event) => onChange({ backend_id: event.target.value })}
        >
          <option value="">All backends</option>
          <Options
            items={backends.data?.data ?? []}
            value={(backend) => backend.id}
            label={(backend) => `${backend.name} (${backend.type})`}
          />
        </select>
      </div>
      <div className="field field-inline">
        <label htmlFor="image-source-filter">Source node</label>
        <select
          id="image-source-filter"
          value={filters.source_node_id}
          onChange={(event) => onChange({ source_node_id: event.target.value })}
        >
          <option value="">All nodes</option>
          <Options items={nodes.data?.data ?? []} value={(node) => node.id} label={(node) => node.hostname} />
        </select>
      </div>
    </div>
  );
}
