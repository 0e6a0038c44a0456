/** Node and storage backend types, named from the generated OpenAPI schema. */
import type { components } from '../api/schema';

export type Node = components['schemas']['NodeResponse'];
export type NodeCreate = components['schemas']['NodeCreate'];
export type StorageBackend = components['schemas']['StorageBackendResponse'];
