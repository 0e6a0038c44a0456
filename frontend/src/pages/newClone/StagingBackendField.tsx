import type { UseQueryResult } from '@tanstack/react-query';
import type { ApiListResponse } from '../../api/client';
import { Field } from '../../components/Field';
import type { StorageBackend } from '../../types/node';
import { Options } from '../../components/Options';

interface StagingBackendFieldProps {
  backends: UseQueryResult<ApiListResponse<StorageBackend>>;
  value: string;
  error?: string;
  onChange: (backendId: string) => void;
}

/** Where a staged clone keeps its image between upload and restore. */
export function StagingBackendField({ backends, value, error, onChange }: StagingBackendFieldProps) {
  const list = backends.data?.data ?? [];
  const hint = backends.isError
    ? 'Storage backends could not be loaded.'
    : backends.isSuccess && list.length === 0
      ? 'No storage backends are configured; staged clones need one.'
      : undefined;
  return (
    <Field id="staging_backend_id" label="Storage backend" error={error} hint={hint}>
      {(control) => (
        <select {...control} value={value} onChange={(event) => onChange(event.target.value)}>
          <option value="">{backends.isPending ? 'Loading…' : 'Choose a backend…'}</option>
          <Options items={list} value={(backend) => backend.id} label={(backend) => `${backend.name} (${backend.type})`} />
        </select>
      )}
    </Field>
  );
}
