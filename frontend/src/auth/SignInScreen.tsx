import { useState, type FormEvent } from 'react';

interface SignInScreenProps {
  tokenRejected: boolean;
  onSubmit: (token: string) => void;
}

/** Asks for the API token the controller wants; it is kept for this browser session only. */
export function SignInScreen({ tokenRejected, onSubmit }: SignInScreenProps) {
  const [token, setToken] = useState('');

  function submit(event: FormEvent) {
    event.preventDefault();
    if (token.trim()) onSubmit(token);
  }

  return (
    <main className="sign-in" id="main">
      <h1>Sign in to PureBoot</h1>
      <p>The controller needs an API token. It is kept in this tab until you close the browser.</p>
      {tokenRejected && (
        <p className="notice notice-error" role="alert">
          The controller did not accept that token. Check it and try again.
        </p>
      )}
      <form onSubmit={submit}>
        <div className="field">
          <label htmlFor="api-token">API token</label>
          <input
            id="api-token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(event) => setToken(event.target.value)}
            required
            autoFocus
          />
        </div>
        <button type="submit" className="primary">
          Sign in
        </button>
      </form>
    </main>
  );
}
