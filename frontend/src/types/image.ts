/** Golden image types, named from the generated OpenAPI schema. */
import type { components } from '../api/schema';

export type Image = components['schemas']['ImageResponse'];
