import { useEffect, useState } from 'react';

/**
 * Runs a one-time-token request once per token, even when React mounts the page twice in
 * development; a second POST would find the token used and report it as invalid.
 */
const inFlight = new Map<string, Promise<unknown>>();

export type TokenActionState<T> =
  | { status: 'missing' }
  | { status: 'pending' }
  | { status: 'done'; data: T }
  | { status: 'error'; error: unknown };

export function useTokenAction<T>(key: string, token: string | null, action: (token: string) => Promise<T>, enabled = true): [TokenActionState<T>, () => void] {
  const [state, setState] = useState<TokenActionState<T>>(token ? { status: 'pending' } : { status: 'missing' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!token || !enabled) return;
    const cacheKey = `${key}:${token}:${attempt}`;
    let promise = inFlight.get(cacheKey) as Promise<T> | undefined;
    if (!promise) {
      promise = action(token);
      inFlight.set(cacheKey, promise);
    }
    let active = true;
    setState({ status: 'pending' });
    promise.then(
      (data) => active && setState({ status: 'done', data }),
      (error: unknown) => active && setState({ status: 'error', error }),
    );
    return () => {
      active = false;
    };
    // the action is stable per page; re-running on identity changes would resend the token
  }, [key, token, attempt, enabled]);

  return [state, () => setAttempt((n) => n + 1)];
}
