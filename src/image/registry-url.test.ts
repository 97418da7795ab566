import { describe, expect, it } from "vitest";
import { hostnameOf, isSafeCredentialUrl, registryBaseUrl } from "./registry-url.js";

describe("registryBaseUrl", () => {
  it.each([
    ["127.0.0.1:5000", "http://127.0.0.1:5000"],
    ["127.255.3.4", "http://127.255.3.4"],
    ["localhost:5000", "http://localhost:5000"],
    ["LOCALHOST", "http://LOCALHOST"],
    ["[::1]:5000", "http://[::1]:5000"],
    ["registry.example:5000", "https://registry.example:5000"],
    ["10.0.0.1:5000", "https://10.0.0.1:5000"],
    ["128.0.0.1", "https://128.0.0.1"],
    ["127.0.0.1.example", "https://127.0.0.1.example"],
    ["127.0.0.256:5000", "https://127.0.0.256:5000"],
    ["localhost.example", "https://localhost.example"],
    ["[::2]:5000", "https://[::2]:5000"],
  ])("%s -> %s", (registry, url) => {
    expect(registryBaseUrl(registry)).toBe(url);
  });
});

describe("hostnameOf", () => {
  it.each([
    ["127.0.0.1:5000", "127.0.0.1"],
    ["[::1]:5000", "::1"],
    ["[::1]", "::1"],
    ["::1", "::1"],
    ["registry.example", "registry.example"],
  ])("%s -> %s", (registry, host) => {
    expect(hostnameOf(registry)).toBe(host);
  });
});

describe("isSafeCredentialUrl", () => {
  it.each([
    ["https://auth.example/token", true],
    ["http://127.0.0.1:8080/token", true],
    ["http://[::1]:8080/token", true],
    ["http://localhost/token", true],
    ["http://auth.example/token", false],
    ["http://192.168.1.1/token", false],
    ["ftp://127.0.0.1/token", false],
  ])("%s -> %s", (url, safe) => {
    expect(isSafeCredentialUrl(new URL(url))).toBe(safe);
  });
});
