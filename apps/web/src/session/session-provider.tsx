import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import type { Me, Permission } from '@haven/contracts';
import { ApiError, api, isApiError, onApiError } from '../lib/api';
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
  /**
   * Null while loading, when anonymous, or when a reload found the session already locked.
   * With `organisation: null` (and `organisations` to choose from) when a reload came before
   * the person chose the organisation to work in: the route guards then show that choice.
   */
  me: Me | null;
  locked: boolean;
  /** True when the person locked the screen themselves ("Lock screen"), false for the idle lock. */
  lockedByUser: boolean;
  /** Seconds until the idle lock while the warning shows. */
  warningSeconds: number | null;
  /** Why the last session ended (shown on the login page the user is sent to). */
  endReason: EndReason | null;
  /**
   * A reload found a sign-in whose password was right but whose second factor is still owed
   * (`GET /auth/session` says `pending: 'second_factor'`): the login page starts at the code.
   * The status is `anonymous` meanwhile: nothing is answered before the second factor.
   */
  pendingSecondFactor: boolean;
  /** The waiting sign-in was finished, cancelled or has ended. */
  forgetPendingSecondFactor(): void;
  /** A reload found a sign-in held until the link in the e-mail is opened (features/devices). */
  pendingConfirmation: boolean;
  /**
   * After login (with an organisation chosen, or with an authenticator app still to set up:
   * `me.session.pending === 'enrolment'`, which the route guards send to the setup) or unlocking.
   */
  signedIn(me: Me): void;
  /** After a change to the account (profile, e-mail). */
  setMe(me: Me): void;
  unlock(password: string): Promise<void>;
  /** "Lock screen": the server locks the session, then the lock screen covers the page at once. */
  lockNow(): Promise<void>;
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
/**
 * Whether the signed-in member's role allows `permission` in the chosen practice. Pages use it to
 * show only what leads somewhere; the server decides on its own, for every request.
 */
export function holds(me: Me | null, permission: Permission): boolean {
  return me?.organisation?.permissions.includes(permission) ?? false;
}

/**
 * Whether the session is a patient's, in their practice's portal (`me.organisation.kind`). A
 * patient sees only the portal's pages and never the staff navigation; the server holds the same
 * line for every request.
 */
export function isPatientSession(me: Me | null): boolean {
  return me?.organisation?.kind === 'patient';
}

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
  const [lockedByUser, setLockedByUser] = useState(false);
  const [warningSeconds, setWarningSeconds] = useState<number | null>(null);
  const [endReason, setEndReason] = useState<EndReason | null>(null);
  const [pendingSecondFactor, setPendingSecondFactor] = useState(false);
  const [pendingConfirmation, setPendingConfirmation] = useState(false);

  const statusRef = useRef(status);
  statusRef.current = status;
  const lockedRef = useRef(locked);
  lockedRef.current = locked;
  const lockRequestedRef = useRef(false);
  const meRef = useRef(me);
  meRef.current = me;

  const handleServerStateRef = useRef<(state: ServerSessionState) => void>(() => undefined);
  const activityRef = useRef<SessionActivity | null>(null);
  activityRef.current ??= new SessionActivity({
    onServerState: (state) => handleServerStateRef.current(state),
    onWarning: (seconds) => setWarningSeconds(seconds),
  });

  const lock = useCallback((byUser = false) => {
    if (statusRef.current !== 'authenticated' || lockedRef.current) return;
    lockedRef.current = true;
    setLocked(true);
    // A heartbeat sent by the very click on "Lock screen" may come back SESSION_LOCKED first.
    setLockedByUser(byUser || lockRequestedRef.current);
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
      if (state === 'locked') lock(false);
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
        if (error.code === 'SESSION_LOCKED') lock(false);
        else if (error.code === 'SESSION_EXPIRED') end('expired');
        else if (error.code === 'AUTH_REQUIRED' && !path.startsWith('/auth/login')) end('expired');
        // Not signed in after all (the second factor is still owed): sign in again.
        else if (error.code === 'SECOND_FACTOR_REQUIRED') end('expired');
        // The server wants an authenticator app set up first: learn that from GET /me, and the
        // route guards send the person to the setup.
        else if (error.code === 'ENROLMENT_REQUIRED' && meRef.current?.session.pending !== 'enrolment') void refetchMe();
      }),
    [end, lock, refetchMe],
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
      // Password given, code still owed: signed out as far as the app goes, but the login page
      // can continue at the code (a locked one first needs the password again anyway).
      // Held until the e-mail link is opened: the login page waits for it (locked or not).
      if (state.pending === 'confirmation' || state.pending === 'confirmed') {
        setPendingConfirmation(true);
        setStatus('anonymous');
        return;
      }
      if (state.pending === 'second_factor') {
        setPendingSecondFactor(state.state === 'active');
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
        // Signed in, but reloaded before choosing an organisation: the guards show the choice.
        // With nothing to choose from, signing in again is all that is left.
        if (!current.organisation && current.organisations.length === 0) {
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
        // Anything else: sign in again.
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
    setPendingSecondFactor(false);
    setPendingConfirmation(false);
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

  const lockNow = useCallback(async () => {
    if (statusRef.current !== 'authenticated' || lockedRef.current) return;
    // Locked on the server first: if that fails (offline), the error reaches the caller and the
    // screen does not pretend to be locked while the session is still open.
    lockRequestedRef.current = true;
    try {
      await api.post<void>('/auth/lock');
    } catch (error) {
      // Already locked or ended: the API error listener has shown the lock screen or the login.
      if (isApiError(error, 'SESSION_LOCKED') || isApiError(error, 'SESSION_EXPIRED') || isApiError(error, 'AUTH_REQUIRED')) return;
      throw error;
    } finally {
      lockRequestedRef.current = false;
    }
    lock(true);
  }, [lock]);

  const logout = useCallback(async () => {
    try {
      await api.post<void>('/auth/logout');
    } catch {
      // Even if the server is unreachable, forget everything locally.
    }
    end('signedOut');
    void navigate('/login', { replace: true, state: { reason: 'signedOut' satisfies EndReason } });
  }, [end, navigate]);

  const forgetPendingSecondFactor = useCallback(() => setPendingSecondFactor(false), []);

  const refreshSessionState = useCallback(() => {
    void activityRef.current?.poll();
  }, []);

  const value = useMemo<SessionContextValue>(
    () => ({
      status,
      me,
      locked,
      lockedByUser,
      warningSeconds,
      endReason,
      pendingSecondFactor,
      forgetPendingSecondFactor,
      pendingConfirmation,
      signedIn,
      setMe: setMeState,
      unlock,
      lockNow,
      logout,
      refreshSessionState,
    }),
    [status, me, locked, lockedByUser, warningSeconds, endReason, pendingSecondFactor, forgetPendingSecondFactor, pendingConfirmation, signedIn, unlock, lockNow, logout, refreshSessionState],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
