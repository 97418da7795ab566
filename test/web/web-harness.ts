/**
 * A real `envforge serve --auth` on 127.0.0.1 over a seeded SQLite workspace, and Debian's
 * Chromium driven by playwright-core with a fresh profile, for the web UI's browser tests.
 * Screenshots go to test-results/web/ (ignored by git) and each file name is logged.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { LOOPBACK_DEFAULTS } from "../support/loopback-defaults.js";
import { cli } from "../support/run-cli.js";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = join(REPO, "test-results", "web");

/** Why the browser tests cannot run here, or undefined. */
export function webProblem(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing (run scripts/ci/chromium.sh)`;
  if (!existsSync(join(REPO, "dist/web/index.html"))) {
    return "dist/web/index.html is missing (run npm run web:build)";
  }
  return undefined;
}

export interface WebServer {
  readonly url: string;
  readonly home: string;
  /** The environment the server and the seeding CLI run with. */
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** Runs the CLI in-process against the server's workspace (before or beside the server). */
export async function seedCli(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<string> {
  const run = await cli(args, { env, cwd: REPO });
  if (run.code !== 0) throw new Error(`envforge ${args.join(" ")}: ${run.code}\n${run.stderr}`);
  return run.stdout;
}

export async function startWebServer(dir: string): Promise<WebServer> {
  const home = join(dir, "home");
  const base = { ...process.env };
  // No registry: builds stay in this machine's Docker engine.
  delete base["ENVFORGE_REGISTRY"];
  const env: NodeJS.ProcessEnv = {
    ...base,
    ...LOOPBACK_DEFAULTS,
    ENVFORGE_HOME: home,
    ENVFORGE_CONFIG: join(dir, "no-config.yaml"),
    HOME: dir,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(REPO, "src/cli/main.ts"), "serve", "--port", "0", "--auth", "--json"],
    { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const line = await new Promise<string>((resolve, reject) => {
    if (child.stdout === null) return reject(new Error("serve has no stdout"));
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const url = String(Reflect.get(Object(JSON.parse(line)), "url"));
  return {
    url,
    home,
    env,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

export interface Browser {
  readonly context: BrowserContext;
  /** A new tab (its own session storage, so signed out) at the given size. */
  page(size?: keyof typeof SIZES): Promise<Page>;
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), "envforge-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    page: async (size = "desktop") => {
      const page = await context.newPage();
      await page.setViewportSize(SIZES[size]);
      return page;
    },
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot under test-results/web/ and logs its file name. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  process.stdout.write(`web screenshot: ${file}\n`);
  return file;
}

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Environments" }).waitFor();
}
