/**
 * Which requests count toward the per-address limits: the API's, and nothing else.
 *
 * The web app's own files (the page, its scripts and styles, the icon) are public, the same for
 * everyone and cheap to serve, and one page load asks for about ten of them. Counting them let a
 * practice whose staff share one address (one office network behind one router) use up the
 * general limit by opening pages, so pages came up blank. Abuse worth limiting goes to /api.
 */
export function countsTowardRateLimit(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}
