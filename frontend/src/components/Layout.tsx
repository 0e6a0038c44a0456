import { useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet } from 'react-router-dom';
import { getToken, signOut } from '../auth/session';
import { useCloneUpdates } from '../hooks/useCloneUpdates';
import type { ConnectionState } from '../hooks/useWebSocket';
import { LiveContext } from '../hooks/useLive';
import { useStalledSessions } from '../hooks/useStalls';

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Offline',
};

/** The main navigation; `end` keeps "Clone sessions" from lighting up on /clone/new. */
const NAV_LINKS: { to: string; label: string; end?: boolean }[] = [
  { to: '/clone', label: 'Clone sessions', end: true },
  { to: '/clone/new', label: 'New clone' },
  { to: '/nodes', label: 'Nodes' },
  { to: '/images', label: 'Images' },
  { to: '/audit', label: 'Audit log' },
  { to: '/reports', label: 'Reports' },
];

/** Page frame: navigation, the live-updates indicator, and the one event-stream connection. */
export function Layout() {
  const { state } = useCloneUpdates();
  const staleSince = useStaleSince(state);
  const stalled = useStalledSessions();

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">PureBoot</span>
        <nav aria-label="Main">
          <ul>
            {NAV_LINKS.map(({ to, label, end }) => (
              <li key={to}>
                <NavLink to={to} end={end}>
                  {label}
                </NavLink>
              </li>
            ))}
            <li>
              <a href="/api/docs">API docs</a>
            </li>
          </ul>
        </nav>
        {stalled.length > 0 && (
          <Link className="stall-count" to="/clone?status=cloning" data-testid="stall-count">
            ⚠ {stalled.length} stalled
          </Link>
        )}
        <span className={`connection connection-${state}`} data-connection={state} role="status">
          <span className="visually-hidden">Live updates: </span>
          {CONNECTION_TEXT[state]}
        </span>
        {getToken() && (
          <button type="button" className="link-button" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <LiveContext.Provider value={{ state, staleSince }}>
          <Outlet />
        </LiveContext.Provider>
      </main>
    </>
  );
}

/** When the stream went from open to anything else; null while open and before it first opened. */
function useStaleSince(state: ConnectionState): Date | null {
  const [since, setSince] = useState<Date | null>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    if (state === 'open') {
      wasOpen.current = true;
      setSince(null);
    } else if (wasOpen.current) {
      setSince((current) => current ?? new Date());
    }
  }, [state]);
  return since;
}
