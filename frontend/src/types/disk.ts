/** Disk and partition types, named from the generated OpenAPI schema. */
import type { components } from '../api/schema';

export type DiskInfo = components['schemas']['DiskInfoResponse'];
export type PartitionInfo = components['schemas']['PartitionInfo'];
export type PartitionOperation = components['schemas']['PartitionOperationResponse'];
