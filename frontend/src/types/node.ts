/** Node and storage backend types, named from the generated OpenAPI schema. */
import type { components } from '../api/schema';

export type Node = components['schemas']['NodeResponse'];
export type NodeCreate = components['schemas']['NodeCreate'];
/** The create response: the node plus its node token, shown only there. */
export type NodeRegistered = components['schemas']['NodeRegistered'];
export type StorageBackend = components['schemas']['StorageBackendResponse'];
