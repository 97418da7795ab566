import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);

// Built into dist/web/ of the package, which `envforge serve` serves at `/` (src/api/web-ui.ts).
export default defineConfig({
  root: here("."),
  plugins: [react()],
  build: { outDir: here("../dist/web"), emptyOutDir: true, sourcemap: false },
  logLevel: "warn",
});
