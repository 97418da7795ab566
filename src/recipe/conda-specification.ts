/**
 * The conda environment.yml shown as an ingredient (Azure ML's mutated_conda_dependencies.yml):
 * the user's file with `name:` set to the envforge name and `prefix:` dropped (envforge decides
 * where the environment lives). The user's text is edited through the yaml Document API so that
 * comments, key order and quoting survive; a definition without source text gets a generated
 * file. Credentials in URLs are removed either way.
 */
import { Document, isMap, isScalar, parseDocument, visit } from "yaml";
import { InternalError } from "../errors/index.js";
import { stripUrlCredentials } from "../definition/definition-hash.js";
import type { CondaEnvironment } from "../definition/definition.js";
import { addImplicitChannels, condaChannelsOrDefaults } from "../definition/implicit-channels.js";

export function condaSpecification(conda: CondaEnvironment, environmentName: string): string {
  const document = conda.source === undefined ? generated(conda) : parseDocument(conda.source.text);
  if (document.errors.length > 0 || !isMap(document.contents)) {
    // The parser read this same text before; failing here is a bug, not bad input.
    throw new InternalError(
      `conda specification ${conda.source?.path ?? ""} could not be read again: ${document.errors[0]?.message ?? "not a mapping"}`,
    );
  }
  const map = document.contents;
  addImplicitChannels(document);
  if (map.has("name")) {
    map.set("name", environmentName);
  } else {
    map.items.unshift(document.createPair("name", environmentName));
  }
  map.delete("prefix");
  visit(document, {
    Scalar(_key, node) {
      if (typeof node.value === "string") node.value = stripUrlCredentials(node.value);
    },
  });
  return document.toString({ lineWidth: 0 });
}

function generated(conda: CondaEnvironment): Document {
  const dependencies: unknown[] = [...conda.dependencies];
  if (conda.pip.length > 0) dependencies.push({ pip: [...conda.pip] });
  const document = new Document({
    channels: [...condaChannelsOrDefaults(conda.channels)],
    dependencies,
    ...(Object.keys(conda.variables).length > 0 ? { variables: { ...conda.variables } } : {}),
  });
  // Quote what a YAML reader would take for another type: a bare `1.10` is a number, and conda
  // reads YAML 1.1 (PyYAML), where `yes` and `on` are booleans too.
  visit(document, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === "string" && needsQuotes(node.value)) {
        node.type = "QUOTE_DOUBLE";
      }
    },
  });
  return document;
}

/**
 * Plain words a YAML reader takes for a string in YAML 1.2 and 1.1 alike: a letter or `_` first,
 * then letters, digits and `_.-=<>!*`, and not one of the words either version reads as a
 * boolean, null or number. Checked against both readers for every such word of up to four
 * characters over the letters and signs that matter. Package specs and names are nearly all such
 * words; parsing each value twice cost a build a few milliseconds, so only the rest is parsed.
 */
const PLAIN_WORD = /^[A-Za-z_][A-Za-z0-9_.=<>!*-]*$/;
// `e5`, `E1_0`: the yaml library's YAML 1.1 reads an exponent with no digits before it as a number.
const YAML_WORDS = /^(?:y|n|yes|no|on|off|true|false|null|e[-+]?[0-9_].*)$/i;

export function needsQuotes(value: string): boolean {
  if (PLAIN_WORD.test(value) && !YAML_WORDS.test(value)) return false;
  return (
    parseDocument(value).toJS() !== value ||
    parseDocument(value, { version: "1.1" }).toJS() !== value
  );
}
