/**
 * Index credentials for the pip step, kept out of every ingredient. The Dockerfile mounts a
 * BuildKit secret at /root/.netrc for the one RUN that calls pip (`RUN --mount=type=secret`, in
 * Docker's built-in Dockerfile frontend since Docker 20.10, no `# syntax=` needed); pip reads
 * netrc for any host whose URL came without credentials. So requirements.txt shows the exact
 * index URLs, the image and its history never hold a password, and changing a password changes
 * neither a hash nor the Dockerfile text.
 */
import { InternalError, ValidationError } from "../errors/index.js";
import { byCodeUnits } from "../definition/canonical-json.js";
import type { Definition } from "../definition/definition.js";
import type { BuildSecret } from "./recipe.js";

export const PIP_NETRC_SECRET: BuildSecret = {
  id: "envforge-pip-netrc",
  target: "/root/.netrc",
  description: "netrc with the credentials of the pip index URLs (machine, login, password)",
};

const CREDENTIALS = /[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#\s@]*(?:@[^/?#\s@]*)*)@([^/?#\s:]+)/g;

/**
 * The netrc text for the definition's pip URLs that carry credentials, or undefined when none
 * does. This is the secret's content: hand it to the builder, never show or store it.
 */
export function pipNetrc(definition: Definition): string | undefined {
  const urls = [
    ...(definition.pip?.indexUrl === undefined ? [] : [definition.pip.indexUrl]),
    ...(definition.pip?.extraIndexUrls ?? []),
    ...(definition.pip?.findLinks ?? []),
    ...(definition.conda?.pip ?? []),
    // Direct references (`name @ https://…`) fetch from their own URL.
    ...(definition.pip?.requirements ?? []).map((r) => r.requirement),
    ...(definition.pip?.constraints ?? []).map((r) => r.requirement),
  ];
  const machines = new Map<string, string>();
  const conflicts = new Set<string>();
  for (const url of urls) {
    for (const match of url.matchAll(CREDENTIALS)) {
      const [userinfo = "", host = ""] = [match[1], match[2]];
      const colon = userinfo.indexOf(":");
      const login = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
      // pip sends a lone user part (a token) with an empty password.
      const password = colon < 0 ? "" : decode(userinfo.slice(colon + 1));
      const line = `machine ${host} login ${token(login)} password ${token(password)}`;
      const known = machines.get(host);
      if (known !== undefined && known !== line) conflicts.add(host);
      machines.set(host, line);
    }
  }
  if (conflicts.size > 0) {
    // netrc (and so pip) keys credentials by host name alone, without port or path.
    throw new ValidationError(
      [...conflicts].sort(byCodeUnits).map((host) => ({
        key: "pip",
        message:
          "pip index URLs give different credentials for one host, which a build cannot pass to pip",
        found: JSON.stringify(host),
        allowed: "the same user and password in every URL of a host",
      })),
    );
  }
  if (machines.size === 0) return undefined;
  return `${[...machines.entries()]
    .sort(([a], [b]) => byCodeUnits(a, b))
    .map(([, line]) => line)
    .join("\n")}\n`;
}

/**
 * True when any pip URL of the definition carries credentials, or carried them when it was
 * registered (so the secret is mounted).
 */
export function needsPipNetrc(definition: Definition): boolean {
  // A stored definition holds its URLs without credentials and names the keys that had some:
  // its recipe (the ingredients shown) mounts the secret as the build's does.
  const stored = (definition.credentialsConfigured ?? []).some(
    (key) => key.startsWith("pip.") || key.startsWith("conda.pip["),
  );
  return stored || pipNetrc(definition) !== undefined;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** netrc tokens are whitespace-separated; quote the rest (Python's netrc reads `"…"`). */
function token(value: string): string {
  if (/[\r\n\0]/.test(value)) {
    // check-input.ts refuses such URLs before a recipe is made.
    throw new InternalError("a credential with a line break reached the netrc writer");
  }
  return value !== "" && !/[\s"\\]/.test(value)
    ? value
    : `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
