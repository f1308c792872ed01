import { useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

/**
 * After navigating (not on the first page), moves focus to the page's `#main`, so keyboard and
 * screen-reader users start on the new page rather than on the link they used.
 */
export function useFocusMainOnNavigate(): void {
  const location = useLocation();
  const firstPath = useRef(location.pathname);
  useEffect(() => {
    if (location.pathname === firstPath.current) return;
    firstPath.current = '';
    document.getElementById('main')?.focus({ preventScroll: false });
  }, [location.pathname]);
}
