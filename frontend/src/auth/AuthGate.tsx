import { useEffect, useSyncExternalStore, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { checkAccess } from './access';
import { getAuthState, signIn, subscribe } from './session';
import { SignInScreen } from './SignInScreen';

/**
 * Shows the app only once the controller has accepted us (session.ts), and the
 * sign-in screen instead while it refuses us. Signing in remounts the app on a
 * cleared cache, so every query and the event stream start afresh with the new
 * token (the stream with no back-off left over from before).
 */
export function AuthGate({ children }: { children: ReactNode }) {
  const auth = useSyncExternalStore(subscribe, getAuthState);
  const queryClient = useQueryClient();

  useEffect(() => {
    if (auth.checking) void checkAccess();
  }, [auth]);

  if (auth.checking) {
    return (
      <main className="sign-in" id="main">
        <p role="status">Connecting to the controller…</p>
      </main>
    );
  }
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
