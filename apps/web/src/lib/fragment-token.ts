import { useState } from 'react';

/**
 * Links in Haven e-mails carry their one-time token in the URL fragment (`#token=…`), which
 * browsers never send to the server or in a Referer. Read it once, then remove it from the
 * address bar and history so it is not left behind for the next person at this computer.
 */
export function readFragmentToken(): string | null {
  const hash = window.location.hash.startsWith('#') ? window.location.hash.slice(1) : '';
  const token = new URLSearchParams(hash).get('token');
  if (hash) {
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
  return token && /^[A-Za-z0-9_-]{20,100}$/.test(token) ? token : null;
}

/** The fragment token of the current page, read once on first render and kept in memory only. */
export function useFragmentToken(): string | null {
  const [token] = useState(readFragmentToken);
  return token;
}
