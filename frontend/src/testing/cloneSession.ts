/** Test fixture: a clone session as the API sends it (every key present, null when unknown). */
import type { CloneSession } from '../types/clone';

export function cloneSession(overrides: Partial<CloneSession> = {}): CloneSession {
  return {
    id: 's1',
    name: null,
    status: 'cloning',
    clone_mode: 'direct',
    source_node_id: 'n1',
    source_node_name: null,
    target_node_id: null,
    target_node_name: null,
    source_device: '/dev/sda',
    target_device: '/dev/sda',
    source_ip: null,
    source_port: 9999,
    staging_backend_id: null,
    staging_backend_name: null,
    staging_path: null,
    staging_status: null,
    resize_mode: 'none',
    bytes_total: 1000,
    bytes_transferred: 200,
    transfer_rate_bps: 10,
    progress_percent: 20,
    error_message: null,
    created_at: '2026-11-25T17:00:00Z',
    started_at: null,
    start_requested_at: null,
    completed_at: null,
    created_by: null,
    duration_seconds: null,
    source_cert_expires_at: null,
    target_cert_expires_at: null,
    last_position: 1,
    ...overrides,
  };
}
