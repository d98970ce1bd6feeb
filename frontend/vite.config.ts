import { defineConfig } from "vite";

// Plain Preact without a plugin: the JSX transform only needs the import source.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  // The lazily loaded ECharts chunk is ~600 kB (its core alone is most of that).
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 700 },
  server: { proxy: { "/api": "http://127.0.0.1:8000" } },
});
