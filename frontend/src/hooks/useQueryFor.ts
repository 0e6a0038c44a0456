import { type QueryKey, useQuery } from '@tanstack/react-query';

/** A query about one resource, idle until its `id` is known (a route param or a choice still empty). */
export function useQueryFor<T>(id: string, queryKey: QueryKey, queryFn: () => Promise<T>) {
  return useQuery({ queryKey, queryFn, enabled: !!id });
}
