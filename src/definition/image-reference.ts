/**
 * Container image references, `[registry[:port]/]repository[:tag][@digest]`, with the grammar of
 * Docker's distribution/reference (https://github.com/distribution/reference/blob/main/reference.go).
 * Kept as written (a short name is not expanded to the default registry's `library/` path) so
 * that format(parse(x)) === x.
 */
import type { Location } from "../errors/index.js";
import { ValidationError } from "../errors/index.js";
import type { ImageReference } from "./definition.js";

export type ImageReferenceResult =
  | { readonly ok: true; readonly reference: ImageReference }
  | { readonly ok: false; readonly message: string; readonly allowed?: string };

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]{1,5}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** distribution/reference: NameTotalLengthMax. */
const NAME_MAX = 255;

const ALLOWED_FORM = "[registry[:port]/]repository[:tag][@sha256:<64 hex>]";

/** Checks `text` without throwing; the message is fit to show a user. */
export function checkImageReference(text: string): ImageReferenceResult {
  if (text === "") return fail("the image reference is empty", ALLOWED_FORM);
  // Whitespace (a newline above all) would inject text into a Dockerfile FROM line.
  if (/[\s\0]/.test(text)) return fail("the image reference contains whitespace", ALLOWED_FORM);

  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      return fail(`digest ${JSON.stringify(digest)} is not valid`, '"sha256:" and 64 hex digits');
    }
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      return fail(
        `tag ${JSON.stringify(tag)} is not valid`,
        'letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"',
      );
    }
  }

  if (rest === "") return fail("the image reference has no repository", ALLOWED_FORM);
  if (rest.length > NAME_MAX) {
    return fail(`the image name is ${rest.length} characters long`, `at most ${NAME_MAX}`);
  }

  const components = rest.split("/");
  let registry: string | undefined;
  const first = components[0] ?? "";
  // distribution/reference splitDomain: the first component is a registry host when it looks
  // like one; otherwise the whole name is a Docker Hub repository.
  if (components.length > 1 && (/[.:]/.test(first) || first === "localhost")) {
    registry = first;
    components.shift();
    const problem = checkRegistry(registry);
    if (problem !== undefined) return problem;
  }
  for (const component of components) {
    if (!PATH_COMPONENT.test(component)) {
      return fail(
        `repository path component ${JSON.stringify(component)} is not valid`,
        'lower-case letters and digits, separated by ".", "_", "__" or "-"',
      );
    }
  }
  return {
    ok: true,
    reference: {
      ...(registry === undefined ? {} : { registry }),
      repository: components.join("/"),
      ...(tag === undefined ? {} : { tag }),
      ...(digest === undefined ? {} : { digest }),
    },
  };
}

function checkRegistry(registry: string): ImageReferenceResult | undefined {
  const [host = "", port, ...extra] = registry.split(":");
  const validHost = host.split(".").every((component) => DOMAIN_COMPONENT.test(component));
  const validPort = port === undefined || (PORT.test(port) && Number(port) <= 65535);
  if (validHost && validPort && extra.length === 0) return undefined;
  return fail(`registry ${JSON.stringify(registry)} is not a valid host[:port]`, ALLOWED_FORM);
}

function fail(message: string, allowed?: string): ImageReferenceResult {
  return { ok: false, message, ...(allowed === undefined ? {} : { allowed }) };
}

/** Parses an image reference or throws a ValidationError saying what is wrong, and where. */
export function parseImageReference(text: string, where: Location = {}): ImageReference {
  const result = checkImageReference(text);
  if (result.ok) return result.reference;
  throw ValidationError.single({
    ...where,
    message: `not a valid image reference: ${result.message}`,
    found: JSON.stringify(text),
    ...(result.allowed === undefined ? {} : { allowed: result.allowed }),
  });
}

/** `registry/repository:tag@digest`, each part only when present. */
export function formatImageReference(reference: ImageReference): string {
  return (
    (reference.registry === undefined ? "" : `${reference.registry}/`) +
    reference.repository +
    (reference.tag === undefined ? "" : `:${reference.tag}`) +
    (reference.digest === undefined ? "" : `@${reference.digest}`)
  );
}
