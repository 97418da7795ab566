/**
 * Issue 13, point 5: credentials in channel and index URLs (`http://user:pass@…`) came back
 * verbatim to any read-scope token in `definition.conda.channels`, `pip.extraIndexUrls`,
 * `source.text` and `sourceFiles`. Now the stored definition holds the URLs without them and
 * names the keys that had some; the credentials sit in the workspace's credentials table, are
 * returned by no route, and are given back only with a build's claim (what a builder gets).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBuildLeases } from "../../src/workspace/build-api.js";
import { harnessKinds } from "../workspace/fixtures.js";
import type { ApiHarness } from "./harness.js";
import { field, request, startApiHarness, versionsUrl } from "./harness.js";

const { kinds, adminUrl } = await harnessKinds();

const SECRETS = ["chan-pa55word", "idx-pa55word", "conda-pip-pa55word", "chanuser", "idxuser"];
// Port 9 (discard) on loopback: nothing answers, so nothing is ever fetched from these.
const CHANNEL = "http://chanuser:chan-pa55word@127.0.0.1:9/private";
const INDEX = "http://idxuser:idx-pa55word@127.0.0.1:9/simple";
const CONDA_PIP_INDEX = "http://idxuser:conda-pip-pa55word@127.0.0.1:9/other";

const FILES = {
  "envforge.yaml": [
    "image: 127.0.0.1:5000/envforge/debian:bookworm",
    "conda_file: environment.yml",
    "pip:",
    `  - --extra-index-url ${INDEX}`,
    "  - wheel==0.38.4",
    "",
  ].join("\n"),
  "environment.yml": [
    "channels:",
    `  - ${CHANNEL}`,
    "dependencies:",
    "  - python=3.11",
    "  - pip:",
    `    - --extra-index-url ${CONDA_PIP_INDEX}`,
    "    - six",
    "",
  ].join("\n"),
};

function leaks(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret));
}

describe.each(kinds)("credentials in URLs on %s", (kind) => {
  let api: ApiHarness;
  let read: string;
  let write: string;
  beforeAll(async () => {
    api = await startApiHarness({ kind, adminUrl, auth: true });
    const token = async (name: string, scope: "read" | "write") =>
      (await api.service.createToken({ workspace: "default", name, scopes: [scope] })).secret;
    read = await token("reader", "read");
    write = await token("writer", "write");
  });
  afterAll(async () => api?.close());

  it("are stored apart and returned to no one", async () => {
    const created = await request(versionsUrl(api.url, "default", "private"), {
      token: write,
      body: { entry: "envforge.yaml", files: FILES },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(leaks(JSON.stringify(created.body))).toEqual([]);

    // The definition keeps the URLs without user info and marks which had credentials.
    const definition = field(created.body, "version", "definition");
    expect(field(definition, "conda", "channels")).toEqual(["http://127.0.0.1:9/private"]);
    expect(field(definition, "pip", "extraIndexUrls")).toEqual(["http://127.0.0.1:9/simple"]);
    expect(field(definition, "credentialsConfigured")).toEqual([
      "conda.channels[0]",
      "conda.pip[0]",
      "pip.extraIndexUrls[0]",
    ]);
    expect(String(field(definition, "conda", "source", "text"))).toContain(
      "http://127.0.0.1:9/private",
    );

    const base = `${versionsUrl(api.url, "default", "private")}`;
    for (const url of [
      base,
      `${base}/1`,
      `${base}/latest`,
      `${base}/1/image-details`,
      `${api.url}/v1/workspaces/default/environments`,
      `${api.url}/v1/workspaces/default/environments/private`,
    ]) {
      const answer = await request(url, { token: read });
      expect(answer.status, `${url}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
      expect(leaks(JSON.stringify(answer.body)), url).toEqual([]);
    }
    expect(leaks(api.logs())).toEqual([]);

    // The store's definition and source columns hold none; the credentials table does.
    const stored = await api.store.read((tx) =>
      tx.getVersion({ workspace: "default", name: "private", version: 1 }),
    );
    expect(stored).toBeDefined();
    expect(leaks(`${stored?.definitionJson}${stored?.sourceFilesJson}`)).toEqual([]);
    const credentials = await api.store.read((tx) =>
      tx.getUrlCredentials({
        workspace: "default",
        definitionHash: stored?.definitionHash ?? "",
      }),
    );
    expect(credentials).toContain("chan-pa55word");
    expect(credentials).toContain("idx-pa55word");
  });

  it("never count in the definition hash", async () => {
    const plain = Object.fromEntries(
      Object.entries(FILES).map(([path, text]) => [
        path,
        text.replaceAll(/\/\/[a-z]+:[a-z0-9-]+@/g, "//"),
      ]),
    );
    const a = await request(versionsUrl(api.url, "default", "private"), {
      token: write,
      body: { entry: "envforge.yaml", files: FILES },
    });
    const b = await request(versionsUrl(api.url, "default", "public"), {
      token: write,
      body: { entry: "envforge.yaml", files: plain },
    });
    expect(b.status).toBe(201);
    expect(field(b.body, "version", "definitionHash")).toBe(
      field(a.body, "version", "definitionHash"),
    );
    expect(field(b.body, "version", "definition", "credentialsConfigured")).toBeUndefined();
  });

  it("reach a builder through its claim", async () => {
    const stored = await api.store.read((tx) =>
      tx.getVersion({ workspace: "default", name: "private", version: 1 }),
    );
    if (stored === undefined) throw new Error("no version stored");
    const requested = await request(`${api.url}/v1/workspaces/default/builds`, {
      token: write,
      body: { environment: "private", version: 1 },
    });
    // A build needs a lock, which these unreachable channels cannot give: then the claim is
    // checked on a build record written as a worker would see one.
    if (requested.status !== 201) {
      const now = new Date().toISOString();
      await api.store.write((tx) =>
        tx.insertBuild({
          id: "b-credentials",
          workspace: "default",
          name: "private",
          version: 1,
          definitionHash: stored.definitionHash,
          imageHash: "0".repeat(32),
          imageName: "envforge_00000000000000000000000000000000",
          registry: null,
          definitionJson: stored.definitionJson,
          lockJson: stored.lockJson,
          state: "queued",
          attempt: 0,
          maxAttempts: 1,
          timeoutMs: 60_000,
          workerId: null,
          leaseUntil: null,
          cancelRequested: false,
          digest: null,
          cacheHit: null,
          reason: null,
          failedStep: null,
          logChunks: 0,
          createdAt: now,
          startedAt: null,
          finishedAt: null,
          updatedAt: now,
        }),
      );
    }
    const claimed = await createBuildLeases({ store: api.store }).claim({
      workerId: "test",
      leaseMs: 30_000,
    });
    expect(claimed?.definition.conda?.channels).toEqual([CHANNEL]);
    expect(claimed?.definition.pip?.extraIndexUrls).toEqual([INDEX]);
    expect(claimed?.definition.conda?.pip).toContain(`--extra-index-url ${CONDA_PIP_INDEX}`);
  });
});
