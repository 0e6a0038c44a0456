import { QueryClient, QueryObserver } from '@tanstack/react-query';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiResponse } from '../api/client';
import type { CloneProgressData } from '../api/events';
import { cloneSession } from '../testing/cloneSession';
import type { CloneSession } from '../types/clone';
import { foldProgressIntoCache } from './progressCache';
import { cloneSessionKeys } from './queryKeys';

function session(overrides: Partial<CloneSession>): ApiResponse<CloneSession> {
  return {
    success: true,
    data: cloneSession({ status: 'pending', bytes_transferred: 0, transfer_rate_bps: null, progress_percent: 0, ...overrides }),
  };
}

const progress: CloneProgressData = {
  session_id: 's1',
  bytes_transferred: 500,
  bytes_total: 1000,
  progress_percent: 50,
  transfer_rate_bps: 10,
  status: 'transferring',
};

/** A controller whose answers the test releases one by one, each a snapshot taken when asked. */
function slowServer(initial: ApiResponse<CloneSession>) {
  let current = initial;
  const requests: { snapshot: ApiResponse<CloneSession>; release: () => void }[] = [];
  return {
    requests,
    set: (next: ApiResponse<CloneSession>) => (current = next),
    fetch: () =>
      new Promise<ApiResponse<CloneSession>>((resolve) => {
        const snapshot = current;
        requests.push({ snapshot, release: () => resolve(snapshot) });
      }),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('foldProgressIntoCache', () => {
  let unsubscribe = () => {};
  afterEach(() => unsubscribe());

  function watched(server: ReturnType<typeof slowServer>) {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const queryKey = cloneSessionKeys.detail('s1');
    client.setQueryData(queryKey, session({}));
    // The detail page: an active observer, so invalidation refetches.
    const observer = new QueryObserver(client, { queryKey, queryFn: server.fetch, staleTime: Infinity });
    unsubscribe = observer.subscribe(() => {});
    return { client, queryKey };
  }

  it('patches the cached session in place when nothing is being fetched', () => {
    const server = slowServer(session({ status: 'source_ready' }));
    const { client, queryKey } = watched(server);
    client.setQueryData(queryKey, session({ status: 'source_ready' }));

    foldProgressIntoCache(client, progress);

    expect(client.getQueryData<ApiResponse<CloneSession>>(queryKey)?.data).toMatchObject({
      status: 'cloning',
      bytes_transferred: 500,
    });
    expect(server.requests).toHaveLength(0);
  });

  it('does not let a refetch that read the session before the report overwrite it', async () => {
    const server = slowServer(session({ status: 'source_ready' }));
    const { client, queryKey } = watched(server);

    // clone.source_ready: the page refetches; the controller answers with the state before the report…
    void client.invalidateQueries({ queryKey });
    expect(server.requests).toHaveLength(1);
    // …while the report is recorded and its event arrives, before that answer does.
    server.set(session({ status: 'cloning', bytes_transferred: 500, progress_percent: 50 }));
    foldProgressIntoCache(client, progress);
    server.requests[0]!.release();
    await settle();

    expect(server.requests).toHaveLength(2);
    server.requests[1]!.release();
    await settle();
    expect(client.getQueryData<ApiResponse<CloneSession>>(queryKey)?.data).toMatchObject({
      status: 'cloning',
      bytes_transferred: 500,
    });
  });
});

describe('foldProgressIntoCache on filtered lists', () => {
  let unsubscribe = () => {};
  afterEach(() => unsubscribe());

  /** A list page on screen (an active observer) that counts its fetches. */
  function watchedList(status: string | undefined, rows: ApiResponse<CloneSession>['data'][]) {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const queryKey = cloneSessionKeys.list({ status, limit: 20, offset: 0 });
    const page = { success: true, data: rows, total: rows.length };
    client.setQueryData(queryKey, page);
    const fetches: number[] = [];
    const observer = new QueryObserver(client, {
      queryKey,
      queryFn: async () => {
        fetches.push(Date.now());
        return page;
      },
      staleTime: Infinity,
    });
    unsubscribe = observer.subscribe(() => {});
    return { client, fetches };
  }

  it('refetches a Cloning list that lacks the session once, not on every report', async () => {
    const { client, fetches } = watchedList('cloning', []);
    foldProgressIntoCache(client, progress);
    await settle();
    foldProgressIntoCache(client, { ...progress, bytes_transferred: 600 });
    await settle();
    expect(fetches).toHaveLength(1);
  });

  it('leaves an unfiltered list without the session alone (it is on another page)', async () => {
    const { client, fetches } = watchedList(undefined, [session({ id: 'other', status: 'completed' }).data]);
    foldProgressIntoCache(client, progress);
    await settle();
    expect(fetches).toHaveLength(0);
  });

  it('refetches a Source Ready list whose row turns cloning', async () => {
    const { client, fetches } = watchedList('source_ready', [session({ status: 'source_ready' }).data]);
    foldProgressIntoCache(client, progress);
    await settle();
    expect(fetches).toHaveLength(1);
  });
});
