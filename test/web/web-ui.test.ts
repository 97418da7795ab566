/**
 * The web UI in Debian's Chromium against a real `envforge serve --auth` on loopback with a
 * seeded SQLite workspace: sign in, a version's Dockerfile, a version registered through the
 * API appearing, a diff naming the changed package, a build whose log streams in (local Docker
 * engine, no registry), no Build button for a read-only token, and clear pages for an unknown
 * route, a 401 and a 404. Each test saves screenshots under test-results/web/.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerClient, dockerProblem, engineGate, removeImage } from "../support/docker.js";
import { BASE_IMAGE, registryProblem } from "../support/registry.js";
import type { ApiHarness } from "../api/harness.js";
import { startApiHarness } from "../api/harness.js";
import type { Browser, WebServer } from "./web-harness.js";
import {
  openBrowser,
  screenshot,
  seedCli,
  signIn,
  startWebServer,
  webProblem,
} from "./web-harness.js";

const docker = dockerClient();
const gate = engineGate(
  "Chromium, the built web UI, the Docker engine and base image",
  webProblem() ?? (await dockerProblem(docker)) ?? (await registryProblem()),
);

const SCIENCE_V1 = "name: science\ndependencies:\n  - python=3.11\n  - numpy=1.26\n";
const SCIENCE_V2 = "name: science\ndependencies:\n  - python=3.11\n  - numpy=2.0\n";

describe.skipIf(gate.skip)("the web UI", () => {
  let dir: string;
  let server: WebServer;
  let browser: Browser;
  let admin: string;
  let reader: string;
  const marker = `web-${randomBytes(4).toString("hex")}`;
  /** Image ids the build test made, removed at the end. */
  const made = new Set<string>();

  beforeAll(async () => {
    gate.require();
    dir = await mkdtemp(join(tmpdir(), "envforge-web-"));
    const dockerfile = join(dir, "Dockerfile");
    await writeFile(
      dockerfile,
      `FROM ${BASE_IMAGE}\nRUN echo ${marker}-step && echo ${marker}-done\n`,
    );
    const science = join(dir, "environment.yml");
    // The server's workspace, seeded with the CLI before the server starts.
    const seedEnv = await startWebServer(dir).then(async (probe) => {
      await probe.close();
      return probe.env;
    });
    await seedCli(seedEnv, ["env", "create", "-f", dockerfile, "-n", "demo", "-t", "team=vision"]);
    const long = join(dir, "long.Dockerfile");
    await writeFile(long, `FROM ${BASE_IMAGE}\nRUN seq 1 10000 && echo ${marker}-long\n`);
    await seedCli(seedEnv, ["env", "create", "-f", long, "-n", "long"]);
    const broken = join(dir, "broken.Dockerfile");
    await writeFile(broken, `FROM ${BASE_IMAGE}\nRUN echo ${marker}-before && exit 3\n`);
    await seedCli(seedEnv, ["env", "create", "-f", broken, "-n", "broken"]);
    await writeFile(science, SCIENCE_V1);
    await seedCli(seedEnv, ["env", "create", "-f", science, "-n", "science"]);
    await writeFile(science, SCIENCE_V2);
    await seedCli(seedEnv, ["env", "create", "-f", science, "-n", "science"]);
    admin =
      (await seedCli(seedEnv, ["token", "create", "--name", "ui", "--scope", "admin"])).split(
        "\n",
      )[0] ?? "";
    reader =
      (await seedCli(seedEnv, ["token", "create", "--name", "viewer", "--scope", "read"])).split(
        "\n",
      )[0] ?? "";
    server = await startWebServer(dir);
    browser = await openBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    for (const id of made) await removeImage(docker, id);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("serves the app at / and its client routes, and keeps API 404s as problems", async () => {
    const index = await fetch(`${server.url}/w/default/environments`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toContain("text/html");
    const api = await fetch(`${server.url}/v1/nope`);
    expect(api.status).toBe(404);
    expect(api.headers.get("content-type")).toContain("application/problem+json");
  });

  it("signs in with an API token and lists the environments (both sizes)", async () => {
    for (const size of ["desktop", "phone"] as const) {
      const page = await browser.page(size);
      await signIn(page, server.url, admin);
      await page.getByRole("link", { name: "demo" }).waitFor();
      await page.getByRole("link", { name: "science" }).waitFor();
      expect(page.url()).not.toContain(admin);
      expect(String(await page.evaluate("window.location.href"))).not.toContain("efk_");
      await screenshot(page, `sign-in-environments-${size}`);
      await page.close();
    }
  });

  it("opens an environment's version and shows its Dockerfile", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.getByRole("link", { name: "demo" }).click();
    await page.getByRole("link", { name: "v1" }).click();
    await page.getByRole("tab", { name: "Dockerfile" }).click();
    const panel = page.getByRole("tabpanel");
    await panel.getByText(`FROM ${BASE_IMAGE}`).first().waitFor();
    expect(await panel.textContent()).toContain(`${marker}-step`);
    await screenshot(page, "version-dockerfile-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "version-dockerfile-phone");
    await page.close();
  });

  it("shows a version registered through the API", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.getByRole("link", { name: "science" }).click();
    await page.getByRole("link", { name: "v2" }).waitFor();
    expect(await page.getByRole("link", { name: "v3" }).count()).toBe(0);
    const response = await fetch(
      `${server.url}/v1/workspaces/default/environments/science/versions`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({
          kind: "conda",
          entry: "environment.yml",
          files: { "environment.yml": SCIENCE_V2.replace("numpy=2.0", "numpy=2.1") },
        }),
      },
    );
    expect(response.status).toBe(201);
    await page.reload();
    await page.getByRole("link", { name: "v3" }).waitFor();
    await screenshot(page, "new-version-desktop");
    await page.close();
  });

  it("diffs two versions and names the changed package", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.getByRole("link", { name: "science" }).click();
    await page.getByLabel("from version").first().selectOption("1");
    await page.getByLabel("to version").first().selectOption("2");
    await page.getByRole("button", { name: "Show diff" }).click();
    await page.getByRole("heading", { name: "science: v1 → v2" }).waitFor();
    const row = page.locator("tr.diff-changed", { hasText: "numpy" });
    await row.waitFor();
    expect(await row.textContent()).toContain("numpy=1.26");
    expect(await row.textContent()).toContain("numpy=2.0");
    await screenshot(page, "diff-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "diff-phone");
    await page.close();
  });

  it("starts a build and shows its log lines as they arrive", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.goto(`${server.url}/w/default/environments/demo/versions/1`);
    await page.getByRole("button", { name: "Build" }).click();
    await page.waitForURL(/\/w\/default\/builds\/[^/]+$/);
    const log = page.getByRole("log", { name: "Build log" });
    await log.getByText(`${marker}-done`).first().waitFor({ timeout: 120_000 });
    await page.locator(".badge.state-succeeded").first().waitFor({ timeout: 120_000 });
    const id = decodeURIComponent(page.url().split("/").pop() ?? "");
    const build = (await (
      await fetch(`${server.url}/v1/workspaces/default/builds/${id}`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).json()) as { state: string; image: { id: string | null } };
    if (build.image.id !== null) made.add(build.image.id);
    expect(build.state).toBe("succeeded");
    await screenshot(page, "build-log-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "build-log-phone");
    await page.close();
  }, 180_000);

  it("keeps a 10,000-line log fast and still: few rows in the page, a box that never moves", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.goto(`${server.url}/w/default/environments/long/versions/1`);
    await page.getByRole("button", { name: "Build" }).click();
    await page.waitForURL(/\/w\/default\/builds\/[^/]+$/);
    const log = page.getByRole("log", { name: "Build log" });
    await log.waitFor();
    const before = await log.boundingBox();
    await log.getByText(`${marker}-long`).first().waitFor({ timeout: 120_000 });
    await page.locator(".badge.state-succeeded").first().waitFor({ timeout: 120_000 });
    const id = decodeURIComponent(page.url().split("/").pop() ?? "");
    const build = (await (
      await fetch(`${server.url}/v1/workspaces/default/builds/${id}`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).json()) as { image: { id: string | null } };
    if (build.image.id !== null) made.add(build.image.id);
    const after = await log.boundingBox();
    expect(after).toEqual(before);
    // Every line is there to scroll to, but only those in view (and a margin) are in the page.
    const lines = await log.evaluate((element) => element.scrollHeight / 18);
    expect(lines).toBeGreaterThan(10_000);
    expect(await page.locator(".log-line").count()).toBeLessThan(200);
    await log.evaluate((element) => element.scrollTo({ top: element.scrollHeight / 2 }));
    await page.waitForTimeout(100);
    expect(await page.locator(".log-line").count()).toBeLessThan(200);
    await screenshot(page, "long-log-desktop");
    await page.close();
  }, 180_000);

  it("highlights the failing step of a failed build and says why", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.goto(`${server.url}/w/default/environments/broken/versions/1`);
    await page.getByRole("button", { name: "Build" }).click();
    await page.waitForURL(/\/w\/default\/builds\/[^/]+$/);
    await page.locator(".badge.state-failed").first().waitFor({ timeout: 120_000 });
    await page.getByText("Failing step:").waitFor();
    const failing = page.locator(".log-failing");
    await failing.first().waitFor();
    // The failing RUN step and its output, not the steps before it.
    const marked = (await failing.allTextContents()).join("\n");
    expect(marked).toContain(`RUN echo ${marker}-before && exit 3`);
    expect(marked).toMatch(new RegExp(`\\d+${marker}-before$`, "m"));
    expect(marked).not.toContain("FROM");
    expect(await page.getByRole("button", { name: "Cancel build" }).count()).toBe(0);
    await screenshot(page, "failed-build-desktop");
    await page.close();
  }, 180_000);

  it("lists jobs and shows a job's log and exit code", async () => {
    const response = await fetch(`${server.url}/v1/workspaces/default/environments/demo/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body: JSON.stringify({ command: ["sh", "-c", `echo ${marker}-job; exit 4`] }),
    });
    expect(response.status, await response.clone().text()).toBe(202);
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.getByRole("link", { name: "Jobs" }).click();
    await page.getByRole("heading", { name: "Jobs" }).waitFor();
    await page.locator("td a.mono").first().click();
    await page.getByRole("log", { name: "Job log" }).getByText(`${marker}-job`).first().waitFor({
      timeout: 120_000,
    });
    await page.locator(".badge.state-failed").first().waitFor({ timeout: 120_000 });
    expect(await page.getByTestId("exit-code").textContent()).toBe("4");
    await screenshot(page, "job-desktop");
    await page.close();
  }, 180_000);

  it("can be used with the keyboard: skip link first, links and buttons reachable by Tab", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.keyboard.press("Tab");
    expect(await page.evaluate("document.activeElement?.textContent")).toBe("Skip to content");
    let reached = false;
    for (let i = 0; i < 40 && !reached; i += 1) {
      await page.keyboard.press("Tab");
      reached = (await page.evaluate("document.activeElement?.textContent")) === "science";
    }
    expect(reached).toBe(true);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "science" }).waitFor();
    await page.close();
  });

  it("shows a read-only token no Build button and no Tokens page", async () => {
    const page = await browser.page();
    await signIn(page, server.url, reader);
    await page.goto(`${server.url}/w/default/environments/demo/versions/1`);
    await page.getByRole("tab", { name: "Dockerfile" }).waitFor();
    expect(await page.getByRole("button", { name: "Build" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Tokens" }).count()).toBe(0);
    await screenshot(page, "read-only-version-desktop");
    await page.close();
  });

  it("shows clear pages for an unknown route, a refused token (401) and a missing environment (404)", async () => {
    const page = await browser.page();
    await signIn(page, server.url, admin);
    await page.goto(`${server.url}/no/such/page`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    await screenshot(page, "unknown-route-desktop");

    await page.goto(`${server.url}/w/default/environments/nope`);
    await page.getByRole("heading", { name: "Not found" }).waitFor();
    expect(await page.textContent("main")).toContain("nope");
    await screenshot(page, "not-found-desktop");
    await page.close();

    const refused = await browser.page();
    await refused.goto(`${server.url}/`);
    await refused.evaluate(`sessionStorage.setItem("envforge.token", "efk_not-a-real-token")`);
    await refused.reload();
    await refused.getByRole("heading", { name: "Sign in needed" }).waitFor();
    expect(await refused.textContent("main")).toContain("401");
    await screenshot(refused, "unauthorized-desktop");
    await refused.close();
  });
});

const browserGate = engineGate("Chromium and the built web UI", webProblem());

describe.skipIf(browserGate.skip)("the web UI of a server without auth", () => {
  let api: ApiHarness;
  let browser: Browser;

  beforeAll(async () => {
    browserGate.require();
    api = await startApiHarness({ kind: "sqlite", adminUrl: undefined });
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it("asks for no token, says that anyone on this machine can change the workspace, and shows an empty state", async () => {
    const page = await browser.page("phone");
    await page.goto(`${api.url}/`);
    await page.getByRole("heading", { name: "Environments" }).waitFor();
    expect(await page.getByRole("note").textContent()).toContain(
      "This server runs without authentication on a loopback address",
    );
    await page.getByText("No environments yet").waitFor();
    expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
    await screenshot(page, "no-auth-empty-phone");
    await page.close();
  });
});
