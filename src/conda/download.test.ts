import { createHash } from "node:crypto";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadVerified, redactUrl } from "./download.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "envforge-download-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("redactUrl", () => {
  it.each([
    [
      "https://user:pw@conda.invalid/t/tok-1/main/x.conda",
      "https://conda.invalid/t/***/main/x.conda",
    ],
    ["http://127.0.0.1:8080/ch/noarch/x.conda", "http://127.0.0.1:8080/ch/noarch/x.conda"],
    ["not a url", "<invalid URL>"],
  ])("%s → %s", (url, shown) => expect(redactUrl(url)).toBe(shown));
});

describe("downloadVerified", () => {
  it("copies a file: URL and checks its sha256", async () => {
    const source = join(dir, "pkg.conda");
    await writeFile(source, "package bytes");
    const sha256 = createHash("sha256").update("package bytes").digest("hex");
    const destination = join(dir, "out.part");
    const progress: number[] = [];
    const result = await downloadVerified({
      url: pathToFileURL(source).toString(),
      destination,
      sha256,
      label: "pkg.conda",
      onBytes: (received) => progress.push(received),
    });
    expect(result).toEqual({ bytes: 13, attempts: 1 });
    expect(progress.at(-1)).toBe(13);
    expect(await readFile(destination, "utf8")).toBe("package bytes");
  });

  it("fails at once on a missing local file", async () => {
    const missing = pathToFileURL(join(dir, "missing.conda")).toString();
    await expect(
      downloadVerified({
        url: missing,
        destination: join(dir, "m.part"),
        sha256: "c".repeat(64),
        label: "missing-1-0.conda",
        sleep: () => Promise.reject(new Error("retried")),
      }),
    ).rejects.toThrow(
      /^missing-1-0\.conda: download from file:\/\/.*missing\.conda failed: ENOENT/,
    );
  });

  it("removes the file and names the package when the bytes are wrong", async () => {
    const source = join(dir, "bad.conda");
    await writeFile(source, "other bytes");
    const destination = join(dir, "bad.part");
    const actual = createHash("sha256").update("other bytes").digest("hex");
    await expect(
      downloadVerified({
        url: pathToFileURL(source).toString(),
        destination,
        sha256: "b".repeat(64),
        label: "bad-1-0.conda",
      }),
    ).rejects.toThrow(`bad-1-0.conda: sha256 mismatch (expected ${"b".repeat(64)}, got ${actual})`);
    await expect(access(destination)).rejects.toThrow();
  });
});
