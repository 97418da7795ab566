/**
 * The routes end to end on both stores: register from uploaded files (conda, pip with an
 * include, envforge.yaml with a conda file, a build context with bytes and modes), read by
 * number and label, page through lists, change description/tags/labels, archive and restore,
 * image details, curated list, health, metrics and the OpenAPI document.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harnessKinds } from "../workspace/fixtures.js";
import type { ApiHarness } from "./harness.js";
import { condaUpload, field, request, startApiHarness, versionsUrl } from "./harness.js";

const { kinds, adminUrl } = await harnessKinds();

describe.each(kinds)("API routes on %s", (kind) => {
  let api: ApiHarness;
  let envs: string;
  beforeAll(async () => {
    api = await startApiHarness({ kind, adminUrl, curated: true });
    envs = `${api.url}/v1/workspaces/default/environments`;
  });
  afterAll(async () => api?.close());

  it("registers from an upload: 201, then 200 with the same version for the same content", async () => {
    const first = await request(versionsUrl(api.url, "default", "pytorch"), {
      body: { ...condaUpload(["numpy"]), description: "first", tags: { team: "vision" } },
    });
    expect(first.status).toBe(201);
    expect(field(first.body, "created")).toBe(true);
    expect(field(first.body, "version", "version")).toBe(1);
    expect(field(first.body, "version", "labels")).toEqual(["latest"]);
    expect(field(first.body, "version", "description")).toBe("first");
    expect(field(first.body, "version", "sourceFiles")).toEqual(condaUpload(["numpy"]).files);
    // Stored paths are the upload's, never the server's temporary folder.
    expect(field(first.body, "version", "definition", "conda", "source", "path")).toBe(
      "environment.yml",
    );
    const again = await request(versionsUrl(api.url, "default", "pytorch"), {
      body: condaUpload(["numpy"]),
    });
    expect(again.status).toBe(200);
    expect(field(again.body, "created")).toBe(false);
    expect(field(again.body, "version", "version")).toBe(1);
    const second = await request(versionsUrl(api.url, "default", "pytorch"), {
      body: condaUpload(["numpy", "scipy"]),
    });
    expect(field(second.body, "version", "version")).toBe(2);
  });

  it("answers 409 for an explicit version that exists with another definition", async () => {
    const before = await api.store.read((tx) => tx.countRows());
    const answer = await request(versionsUrl(api.url, "default", "pytorch"), {
      body: { ...condaUpload(["pandas"]), version: 1 },
    });
    expect(answer.status).toBe(409);
    expect(field(answer.body, "error")).toBe("conflict");
    expect(String(field(answer.body, "detail"))).toContain(
      'environment "pytorch" version 1 already exists in workspace "default" with another definition',
    );
    expect(await api.store.read((tx) => tx.countRows())).toEqual(before);
  });

  it("reads pip includes, conda files and build contexts from the upload", async () => {
    const pip = await request(versionsUrl(api.url, "default", "pip-env"), {
      body: {
        entry: "requirements.txt",
        files: { "requirements.txt": "-r base.txt\nrequests\n", "base.txt": "numpy==1.26.4\n" },
      },
    });
    expect(pip.status).toBe(201);
    expect(field(pip.body, "version", "definition", "kind")).toBe("pip");
    expect(field(pip.body, "version", "definition", "pip", "requirements", "length")).toBe(2);

    const envforge = await request(versionsUrl(api.url, "default", "with-conda-file"), {
      body: {
        entry: "envs/envforge.yaml",
        files: {
          "envs/envforge.yaml":
            "image: 127.0.0.1:5000/base:1\nconda_file: ../shared/conda.yml\napt: [curl]\n",
          "shared/conda.yml": "channels: [defaults]\ndependencies: [python=3.10, numpy]\n",
        },
      },
    });
    expect(envforge.status).toBe(201);
    expect(field(envforge.body, "version", "definition", "conda", "dependencies")).toEqual([
      "python=3.10",
      "numpy",
    ]);

    const script = Buffer.from("#!/bin/sh\necho hi\n").toString("base64");
    const context = await request(versionsUrl(api.url, "default", "context"), {
      body: {
        entry: "ctx",
        files: {
          "ctx/Dockerfile": "FROM 127.0.0.1:5000/base:1\nCOPY run.sh /run.sh\n",
          "ctx/run.sh": { base64: script, mode: 0o755 },
          "ctx/.dockerignore": "ignored.txt\n",
          "ctx/ignored.txt": "not in the context",
        },
      },
    });
    expect(context.status).toBe(201);
    expect(field(context.body, "version", "definition", "base", "contextPath")).toBe("ctx");
    const files = field(context.body, "version", "definition", "base", "files");
    expect(
      Array.isArray(files) ? files.map((f) => [field(f, "path"), field(f, "mode")]) : [],
    ).toEqual([
      [".dockerignore", 0o644],
      ["Dockerfile", 0o644],
      ["run.sh", 0o755],
    ]);
    expect(Object.keys(Object(field(context.body, "version", "sourceFiles")))).toEqual([
      "ctx/.dockerignore",
      "ctx/Dockerfile",
    ]);
  });

  it("reads a version by number and by label, and 404s the missing ones", async () => {
    const byNumber = await request(`${versionsUrl(api.url, "default", "pytorch")}/1`);
    expect(field(byNumber.body, "version")).toBe(1);
    const latest = await request(`${envs}/pytorch/labels/latest`);
    expect(field(latest.body, "version")).toBe(2);
    const missing = await request(`${versionsUrl(api.url, "default", "pytorch")}/9`);
    expect(missing.status).toBe(404);
    expect(field(missing.body, "detail")).toBe(
      'environment "pytorch" in workspace "default" has no version 9',
    );
    const notNumber = await request(`${versionsUrl(api.url, "default", "pytorch")}/two`);
    expect(notNumber.status).toBe(422);
  });

  it("moves labels, changes description and tags, refuses other changes", async () => {
    const labelled = await request(`${envs}/pytorch/labels/prod`, {
      method: "PUT",
      body: { version: 1 },
    });
    expect(field(labelled.body, "labels")).toEqual(["prod"]);
    expect(field((await request(`${envs}/pytorch/labels/prod`)).body, "version")).toBe(1);

    const patched = await request(`${versionsUrl(api.url, "default", "pytorch")}/1`, {
      method: "PATCH",
      body: { description: "changed", tags: { stage: "prod" } },
    });
    expect(patched.status).toBe(200);
    expect(field(patched.body, "description")).toBe("changed");
    expect(field(patched.body, "tags")).toEqual({ stage: "prod" });

    const refused = await request(`${versionsUrl(api.url, "default", "pytorch")}/1`, {
      method: "PATCH",
      body: { definition: {} },
    });
    expect(refused.status).toBe(422);
    expect(String(field(refused.body, "detail"))).toContain(
      "definition: cannot be changed after registration",
    );

    const removed = await request(`${envs}/pytorch/labels/prod`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    expect((await request(`${envs}/pytorch/labels/prod`)).status).toBe(404);
  });

  it("archives and restores versions and environments", async () => {
    const versions = versionsUrl(api.url, "default", "pytorch");
    expect((await request(`${versions}/2/archive`, { method: "POST" })).status).toBe(204);
    expect(field((await request(`${envs}/pytorch/labels/latest`)).body, "version")).toBe(1);
    expect(field((await request(versions)).body, "items", "length")).toBe(1);
    expect(field((await request(`${versions}?includeArchived=true`)).body, "items", "length")).toBe(
      2,
    );
    expect((await request(`${versions}/2/restore`, { method: "POST" })).status).toBe(204);
    expect(field((await request(`${envs}/pytorch/labels/latest`)).body, "version")).toBe(2);

    expect((await request(`${envs}/pytorch/archive`, { method: "POST" })).status).toBe(204);
    const listed = await request(envs);
    const names = field(listed.body, "items");
    expect(Array.isArray(names) ? names.map((n) => field(n, "name")) : []).not.toContain("pytorch");
    expect((await request(`${envs}/pytorch/restore`, { method: "POST" })).status).toBe(204);
  });

  it("pages through environments with a cursor", async () => {
    const seen: unknown[] = [];
    let cursor: unknown;
    do {
      const query = cursor === undefined ? "?limit=2" : `?limit=2&cursor=${String(cursor)}`;
      const page = await request(`${envs}${query}`);
      expect(page.status).toBe(200);
      const items = field(page.body, "items");
      if (Array.isArray(items)) seen.push(...items.map((i) => field(i, "name")));
      cursor = field(page.body, "nextCursor");
    } while (cursor !== undefined);
    expect(seen).toEqual(["context", "pip-env", "pytorch", "with-conda-file"]);
    const bad = await request(`${envs}?cursor=garbage`);
    expect(bad.status).toBe(422);
    const badLimit = await request(`${envs}?limit=0`);
    expect(badLimit.status).toBe(422);
  });

  it("gives image details with ingredients before any build", async () => {
    const answer = await request(`${versionsUrl(api.url, "default", "pytorch")}/1/image-details`);
    expect(answer.status).toBe(200);
    const imageHash = String(field(answer.body, "imageHash"));
    expect(imageHash).toMatch(/^envforge_[0-9a-f]{32}$/);
    expect(field(answer.body, "image")).toEqual({
      name: `127.0.0.1:5000/envforge/${imageHash}`,
      registry: "127.0.0.1:5000",
      location: "registry",
      digest: null,
      id: null,
    });
    expect(field(answer.body, "existsInRegistry")).toBe(false);
    expect(String(field(answer.body, "ingredients", "dockerfile"))).toContain("FROM ");
    expect(String(field(answer.body, "ingredients", "condaSpecification"))).toContain("numpy");
    // The interpreter is the one the Dockerfile puts on PATH.
    const dockerfile = String(field(answer.body, "ingredients", "dockerfile"));
    const prefix = /^ENV CONDA_PREFIX=(\S+)$/m.exec(dockerfile)?.[1];
    expect(prefix).toBeDefined();
    expect(field(answer.body, "pythonEnvironment", "interpreterPath")).toBe(`${prefix}/bin/python`);
    const byLabel = await request(`${envs}/pytorch/labels/latest/image-details`);
    expect(field(byLabel.body, "version")).toBe(2);
  });

  it("lists curated environments, read-only", async () => {
    const curated = await request(`${api.url}/v1/workspaces/default/curated`);
    expect(curated.status).toBe(200);
    const items = field(curated.body, "items");
    expect(Array.isArray(items) && items.length > 0).toBe(true);
    const first = String(field(items, 0, "name"));
    expect(first.startsWith("envforge-")).toBe(true);
    const archive = await request(`${envs}/${first}/archive`, { method: "POST" });
    expect(archive.status).toBe(422);
  });

  it("answers /healthz, /metrics and /openapi.json", async () => {
    expect((await request(`${api.url}/healthz`)).body).toEqual({ status: "ok", store: kind });
    const metrics = String((await request(`${api.url}/metrics`)).body);
    expect(metrics).toMatch(/envforge_registrations_total\{created="true",store="\w+"\} [1-9]/);
    expect(metrics).toContain('route="/v1/workspaces/:workspace/environments/:name/versions"');
    const openapi = await request(`${api.url}/openapi.json`);
    expect(field(openapi.body, "openapi")).toBe("3.0.3");
    const paths = Object.keys(Object(field(openapi.body, "paths")));
    expect(paths).toContain("/v1/workspaces/{workspace}/environments/{name}/versions");
    expect(
      field(
        openapi.body,
        "paths",
        "/v1/workspaces/{workspace}/environments/{name}/versions",
        "post",
        "requestBody",
        "content",
        "application/json",
        "schema",
      ),
    ).toBeDefined();
  });

  it("creates and lists workspaces", async () => {
    const created = await request(`${api.url}/v1/workspaces`, { body: { name: "team" } });
    expect(created.status).toBe(201);
    const again = await request(`${api.url}/v1/workspaces`, { body: { name: "team" } });
    expect(again.status).toBe(409);
    expect(field(again.body, "detail")).toBe('workspace "team" already exists');
    const listed = await request(`${api.url}/v1/workspaces`);
    const items = field(listed.body, "items");
    expect(Array.isArray(items) ? items.map((i) => field(i, "name")) : []).toEqual([
      "default",
      "team",
    ]);
  });
});
