import { describe, expect, it } from "vitest";
import { parseAuthChallenge } from "./auth-challenge.js";

describe("parseAuthChallenge", () => {
  it.each([
    ['Basic realm="envforge-test"', { scheme: "basic", params: { realm: "envforge-test" } }],
    [
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.example/token",
          service: "registry.example",
          scope: "repository:a/b:pull,push",
        },
      },
    ],
    [
      'bearer Realm="http://127.0.0.1:1/t", error="insufficient_scope"',
      { scheme: "bearer", params: { realm: "http://127.0.0.1:1/t", error: "insufficient_scope" } },
    ],
    [
      'Basic realm="a \\"quoted\\" realm"',
      { scheme: "basic", params: { realm: 'a "quoted" realm' } },
    ],
    [
      "Bearer realm=http://127.0.0.1:1/token,service=s",
      { scheme: "bearer", params: { realm: "http://127.0.0.1:1/token", service: "s" } },
    ],
    ["Negotiate", { scheme: "negotiate", params: {} }],
  ])("%s", (header, expected) => {
    expect(parseAuthChallenge(header)).toEqual(expected);
  });

  it.each([[null], [undefined], [""], ["   "]])("no challenge in %j", (header) => {
    expect(parseAuthChallenge(header)).toBeUndefined();
  });
});
