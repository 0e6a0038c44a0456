// Contract test: a client generated from the controller's OpenAPI document
// (openapi-fetch over the `paths` of src/api/schema.d.ts) drives one direct
// clone through its whole life against a running controller.
//
// Every path, parameter, request body and response field below is checked by
// TypeScript against the generated types (`npm run contract` runs
// `tsc -p contract/tsconfig.json` first), and every answer is checked here at
// run time: the document and the server must agree.
//
//   PUREBOOT_URL=http://127.0.0.1:18080 [PUREBOOT_TOKEN=…] npm run contract
import { beforeAll, describe, expect, it } from 'vitest';
import { client, failed, ok, randomMac, type Schemas } from './client';

type CloneSession = Schemas['CloneSessionResponse'];
type NodeTokens = Schemas['SessionTokens'];

const run = Math.random().toString(36).slice(2, 8);
const SIZE = 8_000_000_000;

describe('a direct clone cycle through the generated client', () => {
  const state: {
    sourceId?: string;
    targetId?: string;
    sessionId?: string;
    /** Callback headers per role: the node tokens once the controller issues them, else the admin token. */
    callbackHeaders: Record<'source' | 'target', Record<string, string>>;
  } = { callbackHeaders: { source: {}, target: {} } };

  const sessionId = () => {
    if (!state.sessionId) throw new Error('no session: an earlier step failed');
    return state.sessionId;
  };

  beforeAll(async () => {
    const health = ok(await client.GET('/api/v1/health'), 'GET /health');
    expect(health.status).toBe('ok');
  });

  it('registers a source and a target node', async () => {
    const register = async (role: string) => {
      const mac = randomMac();
      const body = ok(
        await client.POST('/api/v1/nodes', { body: { mac_address: mac.toUpperCase(), hostname: `contract-${role}-${run}` } }),
        'POST /nodes',
      );
      expect(body.success).toBe(true);
      expect(body.data.hostname).toBe(`contract-${role}-${run}`);
      expect(body.data.mac_address).toBe(mac); // stored as aa:bb:cc:dd:ee:ff
      return body.data.id;
    };
    state.sourceId = await register('source');
    state.targetId = await register('target');
    expect(state.sourceId).not.toBe(state.targetId);
  });

  it('creates a direct clone session', async () => {
    if (!state.sourceId || !state.targetId) throw new Error('no nodes: an earlier step failed');
    const body = ok(
      await client.POST('/api/v1/clone-sessions', {
        body: {
          name: `contract-${run}`,
          clone_mode: 'direct',
          source_node_id: state.sourceId,
          target_node_id: state.targetId,
          source_device: '/dev/sda',
          target_device: '/dev/sdb',
          resize_mode: 'none',
        },
      }),
      'POST /clone-sessions',
    );
    const session: CloneSession = body.data;
    expect(session.status).toBe('pending');
    expect(session.clone_mode).toBe('direct');
    expect(session.source_node_id).toBe(state.sourceId);
    expect(session.target_node_id).toBe(state.targetId);
    expect(session.source_node_name).toBe(`contract-source-${run}`);
    expect(session.target_device).toBe('/dev/sdb');
    expect(session.bytes_transferred).toBe(0);
    expect(session.progress_percent).toBe(0);
    state.sessionId = session.id;

    // The node tokens authenticate the callbacks. A controller from before node
    // tokens (and without auth) omits them: the callbacks then go without.
    const tokens: Partial<NodeTokens> | undefined = body.data.node_tokens;
    for (const role of ['source', 'target'] as const) {
      const token = tokens?.[role];
      if (token) state.callbackHeaders[role] = { Authorization: `Bearer ${token}` };
    }
  });

  it('records source-ready', async () => {
    const body = ok(
      await client.POST('/api/v1/clone-sessions/{id}/source-ready', {
        params: { path: { id: sessionId() } },
        headers: state.callbackHeaders.source,
        body: { ip: '10.0.0.31', port: 9999, size_bytes: SIZE, device: '/dev/sda' },
      }),
      'POST source-ready',
    );
    expect(body.data.status).toBe('source_ready');
  });

  it('records two progress reports', async () => {
    const report = async (share: number, role: 'source' | 'target') =>
      ok(
        await client.POST('/api/v1/clone-sessions/{id}/progress', {
          params: { path: { id: sessionId() } },
          headers: state.callbackHeaders[role],
          body: { role, bytes_transferred: SIZE * share, transfer_rate_bps: 150_000_000, status: 'transferring' },
        }),
        'POST progress',
      ).data.progress_percent;

    expect(await report(0.4, 'target')).toBe(40);
    expect(await report(0.75, 'target')).toBe(75);

    const session = ok(
      await client.GET('/api/v1/clone-sessions/{id}', { params: { path: { id: sessionId() } } }),
      'GET session',
    ).data;
    expect(session.status).toBe('cloning');
    expect(session.bytes_total).toBe(SIZE);
    expect(session.bytes_transferred).toBe(SIZE * 0.75);
    expect(session.transfer_rate_bps).toBe(150_000_000);
    expect(session.source_ip).toBe('10.0.0.31');
    expect(session.started_at).toEqual(expect.any(String));
  });

  it('records completion', async () => {
    const body = ok(
      await client.POST('/api/v1/clone-sessions/{id}/complete', {
        params: { path: { id: sessionId() } },
        headers: state.callbackHeaders.target,
      }),
      'POST complete',
    );
    expect(body.data.status).toBe('completed');
    expect(body.data.duration_seconds).toBeGreaterThanOrEqual(0);
  });

  it('reads the session back as completed, fully transferred', async () => {
    const session = ok(
      await client.GET('/api/v1/clone-sessions/{id}', { params: { path: { id: sessionId() } } }),
      'GET session',
    ).data;
    expect(session.status).toBe('completed');
    expect(session.progress_percent).toBe(100);
    expect(session.bytes_total).toBe(SIZE);
    expect(session.bytes_transferred).toBe(session.bytes_total);
    expect(session.completed_at).toEqual(expect.any(String));
    expect(session.duration_seconds).toEqual(expect.any(Number));
    expect(session.error_message ?? null).toBeNull();
  });

  it('lists the cycle in the session history, in log order', async () => {
    const entries = ok(
      await client.GET('/api/v1/clone-sessions/{id}/history', { params: { path: { id: sessionId() } } }),
      'GET history',
    ).data;
    const types = entries.map((entry) => entry.event_type);
    expect(types).toEqual(
      expect.arrayContaining([
        'clone_session.created',
        'clone_session.source_ready',
        'clone_session.progress_reported',
        'clone_session.completed',
      ]),
    );
    const positions = entries.map((entry) => entry.position);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    for (const entry of entries) expect(entry.summary).not.toBe('');
  });

  it('refuses progress after completion with the error envelope', async () => {
    const result = await client.POST('/api/v1/clone-sessions/{id}/progress', {
      params: { path: { id: sessionId() } },
      headers: state.callbackHeaders.target,
      body: { role: 'target', bytes_transferred: SIZE },
    });
    // 409: the session has ended. A node token may instead stop working with its session (401).
    const usesNodeToken = 'Authorization' in state.callbackHeaders.target;
    const error = failed(result, usesNodeToken && result.response.status === 401 ? 401 : 409);
    expect(error.success).toBe(false);
    expect(error.error).toEqual(expect.any(String));
    expect(error.detail).toEqual(expect.any(String));
  });

  it('answers an unknown session with 404 and the error envelope', async () => {
    const error = failed(
      await client.GET('/api/v1/clone-sessions/{id}', {
        params: { path: { id: '00000000-0000-0000-0000-000000000000' } },
      }),
      404,
    );
    expect(error.success).toBe(false);
    expect(error.error).toEqual(expect.any(String));
  });
});
