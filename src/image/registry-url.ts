/**
 * Where a registry host is reached. Plain HTTP is used only for loopback hosts, as the Docker
 * engine does by default; anything else gets HTTPS, so credentials never cross a network unencrypted.
 */

/** `127.0.0.1:5000` -> `127.0.0.1`; `[::1]:5000` -> `::1`; `localhost` -> `localhost`. */
export function hostnameOf(registry: string): string {
  if (registry.startsWith("[")) {
    const end = registry.indexOf("]");
    return end < 0 ? registry : registry.slice(1, end);
  }
  const colon = registry.indexOf(":");
  // More than one colon and no brackets: a bare IPv6 address without a port.
  if (colon >= 0 && registry.indexOf(":", colon + 1) < 0) return registry.slice(0, colon);
  return registry;
}

const IPV4_LOOPBACK =
  /^127\.(?:25[0-5]|2[0-4]\d|1?\d?\d)\.(?:25[0-5]|2[0-4]\d|1?\d?\d)\.(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** True for 127.0.0.0/8, `localhost` and `::1`. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return (
    IPV4_LOOPBACK.test(host) || host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1"
  );
}

/** `http://127.0.0.1:5000` for a loopback registry, `https://<registry>` otherwise. */
export function registryBaseUrl(registry: string): string {
  return `${isLoopbackHost(hostnameOf(registry)) ? "http" : "https"}://${registry}`;
}

/** Whether sending credentials to `url` is safe: HTTPS, or HTTP to a loopback host. */
export function isSafeCredentialUrl(url: URL): boolean {
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && isLoopbackHost(hostnameOf(url.host));
}
