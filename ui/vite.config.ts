// Vite builds the UI into ui/dist, which the Tauri shell embeds (src-tauri/tauri.conf.json,
// build.frontendDist). Vitest runs the unit tests in src/**/*.test.ts from the same config.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  // `npm run dev` for working on the UI in a browser; the desktop build needs no dev server.
  server: { port: 5173, strictPort: true },
  // `npm run build` writes into .dist-build, then sync-dist.mjs moves only what changed to dist/.
  build: { outDir: "dist", emptyOutDir: true },
  // Unit tests load Svelte's browser runtime; *.svelte.test.ts files that test effects also
  // ask for the happy-dom environment, where the Svelte plugin compiles for the browser.
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
