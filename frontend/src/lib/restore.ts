/**
 * Restoring an image onto several nodes: one staged clone session per
 * target (the controller's design), created one after another. Each
 * target's outcome is its own: one refused (busy, too small) does not stop
 * the others.
 */
import type { CloneSessionCreate } from '../types/clone';
import { refusalReason } from './fieldErrors';

/** The create request of the restore session of `imageId` onto `targetNodeId`. */
export function restoreRequest(imageId: string, targetNodeId: string, targetDevice: string): CloneSessionCreate {
  const device = targetDevice.trim() || '/dev/sda';
  return { clone_mode: 'staged', image_id: imageId, target_node_id: targetNodeId, target_device: device };
}

/** What happened to one target: the create response when it was accepted (its node tokens are only there). */
export type RestoreOutcome<Created = unknown> =
  | { target: string; ok: true; sessionId: string; created: Created }
  | { target: string; ok: false; reason: string };

/**
 * Creates one restore session per target through `create` (one at a time,
 * so the controller's busy-target rule answers each plainly) and returns
 * each target's outcome in the order given.
 */
export async function startRestores<Created extends { data: { id: string } }>(
  imageId: string,
  targets: string[],
  targetDevice: string,
  create: (request: CloneSessionCreate) => Promise<Created>,
): Promise<RestoreOutcome<Created>[]> {
  const outcomes: RestoreOutcome<Created>[] = [];
  for (const target of targets) {
    try {
      const created = await create(restoreRequest(imageId, target, targetDevice));
      outcomes.push({ target, ok: true, sessionId: created.data.id, created });
    } catch (error) {
      outcomes.push({ target, ok: false, reason: refusalReason(error) });
    }
  }
  return outcomes;
}

/** The one session to open after a restore: when a single target was chosen and accepted. */
export function sessionToOpen<Created>(outcomes: readonly RestoreOutcome<Created>[]): Created | null {
  const [only] = outcomes;
  return outcomes.length === 1 && only?.ok ? only.created : null;
}
