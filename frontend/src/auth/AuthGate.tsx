import { useSyncExternalStore, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { getAuthState, signIn, subscribe } from './session';
import { SignInScreen } from './SignInScreen';

/**
 * Shows the sign-in screen instead of the app while the server refuses us.
 * Signing in remounts the app on a cleared cache, so every query (and the
 * WebSocket) retries with the new token.
 */
export function AuthGate({ children }: { children: ReactNode }) {
  const auth = useSyncExternalStore(subscribe, getAuthState);
  const queryClient = useQueryClient();

  if (!auth.needsSignIn) return <>{children}</>;
  return (
    <SignInScreen
      tokenRejected={auth.tokenRejected}
      onSubmit={(token) => {
        queryClient.clear();
        signIn(token);
      }}
    />
  );
}
