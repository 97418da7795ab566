/**
 * Issue 13, point 7: registration refuses what the build would refuse. Each reproduction
 * registered with 201 (taking a version and `latest`) and then image details answered 422; now
 * registration answers 422 naming the key, and nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { harnessKinds } from "../workspace/fixtures.js";
import type { ApiHarness } from "./harness.js";
import { field, request, startApiHarness, versionsUrl } from "./harness.js";

const { kinds, adminUrl } = await harnessKinds();
const BASE = "127.0.0.1:5000/envforge/debian:bookworm";

const CASES = [
  {
    title: "an interpreter path holding a shell command",
    files: { "envforge.yaml": `image: ${BASE}\npython:\n  interpreter_path: "python;id"\n` },
    key: "python.interpreterPath",
  },
  {
    title: "a variable holding U+2028",
    files: { "envforge.yaml": `image: ${BASE}\nvariables:\n  A: "one\\u2028two"\n` },
    key: "variables.A",
  },
  {
    title: "a Dockerfile ending in a line continuation",
    files: {
      "envforge.yaml": "build:\n  path: ctx\n",
      "ctx/Dockerfile": `FROM ${BASE}\nRUN echo \\\n`,
    },
    key: "base.dockerfile",
  },
  {
    title: "a context file under envforge/",
    files: {
      "envforge.yaml": "build:\n  path: ctx\n",
      "ctx/Dockerfile": `FROM ${BASE}\n`,
      "ctx/envforge/Dockerfile": "FROM scratch\n",
    },
    key: "base.files[",
  },
];

describe.each(kinds)("registration applies the recipe's rules on %s", (kind) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ kind, adminUrl });
  });
  afterAll(async () => api?.close());

  it.each(CASES)("$title: 422 naming $key, nothing written", async (c) => {
    const before = await api.store.read((tx) => tx.countRows());
    const answer = await request(versionsUrl(api.url, "default", "rules"), {
      body: { entry: "envforge.yaml", files: c.files },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(422);
    const problems = field(answer.body, "problems");
    expect(JSON.stringify(problems)).toContain(`"key":"${c.key}`);
    expect(await api.store.read((tx) => tx.countRows())).toEqual(before);
    const latest = await request(`${versionsUrl(api.url, "default", "rules")}/latest`);
    expect(latest.status).toBe(404);
  });

  it("a definition the recipe accepts still registers", async () => {
    const answer = await request(versionsUrl(api.url, "default", "rules-ok"), {
      body: {
        entry: "envforge.yaml",
        files: {
          "envforge.yaml": "build:\n  path: ctx\n",
          "ctx/Dockerfile": `FROM ${BASE}\nRUN echo ok\n`,
          "ctx/data/envforge.txt": "a file whose name starts like the reserved folder\n",
        },
      },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  });
});
