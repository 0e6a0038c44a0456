/**
 * Clone session types. The shapes come from the controller's OpenAPI document
 * (src/api/schema.d.ts, generated); this module only names them for the UI and
 * adds the status lists and the badge colours and labels the UI shows.
 */
import type { components } from '../api/schema';

type Schemas = components['schemas'];

export type CloneSession = Schemas['CloneSessionResponse'];

/** Bearer tokens the source and target nodes use for their callbacks. */
export type NodeTokens = Schemas['SessionTokens'];
export type AgentParameters = Schemas['AgentParameters'];
/**
 * The create response: the session plus its node tokens, returned only there
 * (the UI shows them once). A controller from before node tokens omits them,
 * so the UI still checks for their presence.
 */
export type CloneSessionCreated = Schemas['CloneSessionCreated'];
/** The PATCH response: when the target node changed, also its new token (shown once). */
export type CloneSessionUpdated = Schemas['CloneSessionUpdated'];
export type CloneSessionCreate = Schemas['CloneSessionCreate'];
export type CloneSessionUpdate = Schemas['CloneSessionUpdate'];
export type CloneHistoryEntry = Schemas['CloneHistoryEntry'];
export type CloneDeleteOutcome = Schemas['CloneDeleteOutcome'];
export type CloneSourceReady = Schemas['CloneSourceReady'];
export type CloneAnalysis = Schemas['Analysis'];
export type CloneStartAck = Schemas['CloneStartAck'];
/** A session's resize plan (`GET …/plan`), whether it checks out now, and whether it may still change. */
export type ClonePlanView = Schemas['ClonePlanView'];
/** The `PUT …/plan` body: the new plan, replacing the old one whole. */
export type ClonePlanUpdate = Schemas['ClonePlanUpdate'];
/** One operation of a plan as the server holds it. */
export type PlanOperation = Schemas['OperationSpec'];
export type CloneProgressUpdate = Schemas['CloneProgressUpdate'];

export type CloneMode = CloneSession['clone_mode'];
export type ResizeMode = CloneSession['resize_mode'];
export type StagingStatus = NonNullable<CloneSession['staging_status']>;

/** Every status, in lifecycle order (also the order of the status filter). */
export const CLONE_STATUSES = ['pending', 'source_ready', 'cloning', 'completed', 'failed', 'cancelled'] as const;
export type CloneStatus = (typeof CLONE_STATUSES)[number];

/** Statuses after which nothing about a session changes any more. */
export const TERMINAL_STATUSES: readonly CloneStatus[] = ['completed', 'failed', 'cancelled'];

/** Badge colours by status: gray, blue, yellow, green, red, light gray. */
export const CLONE_STATUS_COLORS: Record<CloneStatus, string> = {
  pending: 'gray',
  source_ready: 'blue',
  cloning: 'yellow',
  completed: 'green',
  failed: 'red',
  cancelled: 'light-gray',
};

export const CLONE_STATUS_LABELS: Record<CloneStatus, string> = {
  pending: 'Pending',
  source_ready: 'Source Ready',
  cloning: 'Cloning',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export const CLONE_MODE_LABELS: Record<CloneMode, string> = {
  direct: 'Direct (peer to peer)',
  staged: 'Staged (via storage backend)',
};

export const RESIZE_MODE_LABELS: Record<ResizeMode, string> = {
  none: 'None (same size)',
  shrink_source: 'Shrink source partitions',
  grow_target: 'Grow target partitions',
};

export function isCloneStatus(value: string): value is CloneStatus {
  return (CLONE_STATUSES as readonly string[]).includes(value);
}
