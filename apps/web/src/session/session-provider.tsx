import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { Me } from '@haven/contracts';
import { ApiError, api, onApiError } from '../lib/api';
import type { SessionStateBody } from '../lib/types';
import { SessionActivity, type ServerSessionState } from './session-activity';

/**
 * Who is signed in, and whether the screen is locked.
 *
 * "Lock, don't log out": when the server locks an idle session, `locked` turns true and the
 * app shows the lock screen *over* the page, which stays mounted (and inert) underneath, so
 * half-written text survives. Unlocking with the password resumes the same session.
 * Only an ended session (absolute lifetime, signed out elsewhere) sends the user to the login.
 */

export type SessionStatus = 'loading' | 'anonymous' | 'authenticated';
export type EndReason = 'expired' | 'signedOut';

export interface SessionContextValue {
  status: SessionStatus;
  /** Null while loading, when anonymous, or when a reload found the session already locked. */
  me: Me | null;
  locked: boolean;
  /** Seconds until the idle lock while the warning shows. */
  warningSeconds: number | null;
  /** Why the last session ended (shown on the login page the user is sent to). */
  endReason: EndReason | null;
  /** After login (with an organisation chosen) or accepting the unlock. */
  signedIn(me: Me): void;
  /** After a change to the account (profile, e-mail). */
  setMe(me: Me): void;
  unlock(password: string): Promise<void>;
  logout(): Promise<void>;
  /** Ask the server for the lock state now (e.g. after changing the idle timeout). */
  refreshSessionState(): void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in user with an organisation; only for pages behind RequireAuth. */
export function useMe(): Me & { organisation: NonNullable<Me['organisation']> } {
  const { me } = useSession();
  if (!me?.organisation) throw new Error('useMe without a signed-in member');
  return me as Me & { organisation: NonNullable<Me['organisation']> };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [status, setStatus] = useState<SessionStatus>('loading');
  const [me, setMeState] = useState<Me | null>(null);
  const [locked, setLocked] = useState(false);
  const [warningSeconds, setWarningSeconds] = useState<number | null>(null);
  const [endReason, setEndReason] = useState<EndReason | null>(null);

  const statusRef = useRef(status);
  statusRef.current = status;
  const lockedRef = useRef(locked);
  lockedRef.current = locked;

  const handleServerStateRef = useRef<(state: ServerSessionState) => void>(() => undefined);
  const activityRef = useRef<SessionActivity | null>(null);
  activityRef.current ??= new SessionActivity({
    onServerState: (state) => handleServerStateRef.current(state),
    onWarning: (seconds) => setWarningSeconds(seconds),
  });

  const lock = useCallback(() => {
    if (statusRef.current !== 'authenticated' || lockedRef.current) return;
    lockedRef.current = true;
    setLocked(true);
    setWarningSeconds(null);
    activityRef.current?.setLocked(true);
  }, []);

  // No navigation here: RequireAuth sends the user from a protected page to the login, with
  // the reason and the page to come back to (navigating here too would race with it).
  const end = useCallback(
    (reason: EndReason) => {
      activityRef.current?.stop();
      statusRef.current = 'anonymous';
      lockedRef.current = false;
      setEndReason(reason);
      setStatus('anonymous');
      setMeState(null);
      setLocked(false);
      setWarningSeconds(null);
      queryClient.clear();
    },
    [queryClient],
  );

  const refetchMe = useCallback(async () => {
    try {
      setMeState(await api.get<Me>('/me'));
    } catch {
      // the lock/expiry listener deals with session errors
    }
  }, []);

  const handleServerState = useCallback(
    (state: ServerSessionState) => {
      if (statusRef.current !== 'authenticated') return;
      if (state === 'locked') lock();
      else if (state === 'none') end('expired');
      else if (lockedRef.current) {
        // Unlocked in another tab: resume here too.
        lockedRef.current = false;
        setLocked(false);
        activityRef.current?.setLocked(false);
        void refetchMe();
        void queryClient.invalidateQueries();
      }
    },
    [end, lock, queryClient, refetchMe],
  );

  handleServerStateRef.current = handleServerState;

  // Session-wide errors from any API call, wherever it was made.
  useEffect(
    () =>
      onApiError((error, path) => {
        if (statusRef.current !== 'authenticated') return;
        if (error.code === 'SESSION_LOCKED') lock();
        else if (error.code === 'SESSION_EXPIRED') end('expired');
        else if (error.code === 'AUTH_REQUIRED' && !path.startsWith('/auth/login')) end('expired');
      }),
    [end, lock],
  );

  // Boot: the first GET also gives us the CSRF cookie before any POST.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      let state: SessionStateBody;
      try {
        state = await api.get<SessionStateBody>('/auth/session');
      } catch {
        if (!cancelled) setStatus('anonymous');
        return;
      }
      if (cancelled) return;
      if (state.state === 'none') {
        setStatus('anonymous');
        return;
      }
      if (state.state === 'locked') {
        statusRef.current = 'authenticated';
        lockedRef.current = true;
        setStatus('authenticated');
        setLocked(true);
        activityRef.current?.start(state.idleTimeoutSeconds ?? 900, state.idleExpiresAt);
        activityRef.current?.setLocked(true);
        return;
      }
      try {
        const current = await api.get<Me>('/me');
        if (cancelled) return;
        if (!current.organisation) {
          setStatus('anonymous');
          return;
        }
        setMeState(current);
        statusRef.current = 'authenticated';
        setStatus('authenticated');
        activityRef.current?.start(current.session.idleTimeoutSeconds, state.idleExpiresAt);
      } catch (error) {
        if (cancelled) return;
        if (error instanceof ApiError && error.code === 'SESSION_LOCKED') {
          statusRef.current = 'authenticated';
          lockedRef.current = true;
          setStatus('authenticated');
          setLocked(true);
          activityRef.current?.start(state.idleTimeoutSeconds ?? 900, state.idleExpiresAt);
          activityRef.current?.setLocked(true);
          return;
        }
        // AUTH_ORGANISATION_REQUIRED after a reload mid-login, or anything else: sign in again.
        setStatus('anonymous');
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => () => activityRef.current?.stop(), []);

  const signedIn = useCallback((next: Me) => {
    setEndReason(null);
    setMeState(next);
    statusRef.current = 'authenticated';
    lockedRef.current = false;
    setStatus('authenticated');
    setLocked(false);
    activityRef.current?.start(next.session.idleTimeoutSeconds);
    activityRef.current?.setLocked(false);
  }, []);

  const unlock = useCallback(
    async (password: string) => {
      const result = await api.post<{ me: Me }>('/auth/unlock', { password });
      setMeState(result.me);
      lockedRef.current = false;
      setLocked(false);
      activityRef.current?.setIdleTimeout(result.me.session.idleTimeoutSeconds);
      activityRef.current?.setLocked(false);
      // Anything that failed while locked is fetched again; forms keep their local state.
      void queryClient.invalidateQueries();
    },
    [queryClient],
  );

  const logout = useCallback(async () => {
    try {
      await api.post<void>('/auth/logout');
    } catch {
      // Even if the server is unreachable, forget everything locally.
    }
    end('signedOut');
    void navigate('/login', { replace: true, state: { reason: 'signedOut' satisfies EndReason } });
  }, [end, navigate]);

  const refreshSessionState = useCallback(() => {
    void activityRef.current?.poll();
  }, []);

  const value = useMemo<SessionContextValue>(
    () => ({ status, me, locked, warningSeconds, endReason, signedIn, setMe: setMeState, unlock, logout, refreshSessionState }),
    [status, me, locked, warningSeconds, endReason, signedIn, unlock, logout, refreshSessionState],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
