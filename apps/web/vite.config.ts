import { defineConfig } from 'vite';

/**
 * Vite 8 transforms TSX itself (oxc); no React plugin needed.
 * The output in dist/ is served by the Haven server under a strict CSP (`script-src 'self'`):
 * no inline scripts, no eval, no external hosts.
 */
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      // Mantine marks its modules "use client" (for React Server Components); meaningless in an SPA.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': 'http://localhost:8080' },
  },
});
