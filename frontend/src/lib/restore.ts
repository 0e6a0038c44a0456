/**
 * Restoring an image onto several nodes: one staged clone session per
 * target (the controller's design), created one after another. Each
 * target's outcome is its own: one refused (busy, too small) does not stop
 * the others.
 */
import type { CloneSessionCreate } from '../types/clone';

/** The create request of the restore session of `imageId` onto `targetNodeId`. */
export function restoreRequest(imageId: string, targetNodeId: string, targetDevice: string): CloneSessionCreate {
  const device = targetDevice.trim() || '/dev/sda';
  return { clone_mode: 'staged', image_id: imageId, target_node_id: targetNodeId, target_device: device };
}

/** What happened to one target. */
export type RestoreOutcome =
  | { target: string; ok: true; sessionId: string }
  | { target: string; ok: false; reason: string };

/**
 * Creates one restore session per target through `create` (one at a time,
 * so the controller's busy-target rule answers each plainly) and returns
 * each target's outcome in the order given.
 */
export async function startRestores(
  imageId: string,
  targets: string[],
  targetDevice: string,
  create: (request: CloneSessionCreate) => Promise<{ data: { id: string } }>,
): Promise<RestoreOutcome[]> {
  const outcomes: RestoreOutcome[] = [];
  for (const target of targets) {
    try {
      const created = await create(restoreRequest(imageId, target, targetDevice));
      outcomes.push({ target, ok: true, sessionId: created.data.id });
    } catch (error) {
      outcomes.push({ target, ok: false, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcomes;
}
