import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { renderWebApiTypes, WEB_API_FILE } from "../../scripts/generate-web-api.js";

describe("web/src/api-types.ts", () => {
  it("is what scripts/generate-web-api.ts makes from the server's OpenAPI document (run `npm run web:api` if this fails)", async () => {
    const committed = await readFile(WEB_API_FILE, "utf8");
    expect(committed).toBe(await renderWebApiTypes());
  });

  it("has the routes the web UI calls", async () => {
    const text = await renderWebApiTypes();
    for (const route of [
      '"/v1/session"',
      '"/v1/workspaces/{workspace}/environments/{name}"',
      '"/v1/workspaces/{workspace}/environments/{name}/versions/{version}/diff/{other}"',
      '"/v1/workspaces/{workspace}/builds/{id}/logs/stream"',
    ]) {
      expect(text).toContain(`${route}: {`);
    }
  });
});
