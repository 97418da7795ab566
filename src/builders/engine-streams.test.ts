import { describe, expect, it } from "vitest";
import { PushProgress } from "./engine-streams.js";

const line = (event: unknown): string => JSON.stringify(event);

describe("PushProgress", () => {
  it("counts layers sent apart from layers the registry had or mounted, and keeps the digest", () => {
    const progress = new PushProgress();
    for (const event of [
      { status: "The push refers to repository [127.0.0.1:5000/envforge/x]" },
      { status: "Preparing", id: "aaa" },
      { status: "Preparing", id: "bbb" },
      { status: "Preparing", id: "ccc" },
      { status: "Pushing", id: "aaa", progressDetail: { current: 512, total: 1024 } },
      { status: "Pushed", id: "aaa" },
      { status: "Pushed", id: "aaa" },
      { status: "Layer already exists", id: "bbb" },
      { status: "Mounted from envforge/other", id: "ccc" },
      { status: "latest: digest: sha256:1234 size: 1155" },
      { progressDetail: {}, aux: { Tag: "latest", Digest: "sha256:1234", Size: 1155 } },
    ]) {
      progress.pushLine(line(event));
    }
    progress.pushLine("not json");
    expect(progress.result()).toEqual({
      digest: "sha256:1234",
      pushed: ["aaa"],
      reused: ["bbb", "ccc"],
    });
  });

  it("keeps the engine's error event", () => {
    const progress = new PushProgress();
    progress.pushLine(
      line({
        errorDetail: { message: "unauthorized" },
        error: "unauthorized: authentication required",
      }),
    );
    expect(progress.result()).toEqual({
      error: "unauthorized: authentication required",
      pushed: [],
      reused: [],
    });
  });

  it("tells the bytes sent of every layer the engine has sized, up to each layer's size", () => {
    const seen: [number, number][] = [];
    const progress = new PushProgress((done, total) => seen.push([done, total]));
    for (const event of [
      { status: "Preparing", id: "aaa" },
      { status: "Pushing", id: "aaa", progressDetail: { current: 512, total: 2048 } },
      { status: "Pushing", id: "bbb", progressDetail: { current: 100, total: 1000 } },
      { status: "Pushed", id: "aaa" },
      { status: "Layer already exists", id: "ccc" },
      { status: "Pushed", id: "bbb" },
    ]) {
      progress.pushLine(line(event));
    }
    expect(seen).toEqual([
      [512, 2048],
      [612, 3048],
      [2148, 3048],
      [3048, 3048],
    ]);
  });
});
