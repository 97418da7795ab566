/**
 * A conda environment specification as an editable object: Azure ML's `CondaDependencies`
 * (research/azureml.md §4) in TypeScript idiom. It edits the YAML document itself (yaml's
 * Document API), so comments, key order and quoting survive load → edit → serialize.
 */
import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { Stats } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, isMap, isScalar, isSeq } from "yaml";
import type { Node } from "yaml";
import type { Problem } from "../errors/index.js";
import { NotFoundError, ValidationError } from "../errors/index.js";
import type { CondaEnvironment } from "../definition/definition.js";
import { parseMatchSpec } from "../definition/match-spec.js";
import { parseYamlSource } from "../definition/yaml-source.js";
import { isPipOption, pipEntryName, pipOptionKey } from "./conda-dependencies-pip.js";
import {
  CONDA_FILE_KEYS,
  condaFileProblems,
  condaSpecProblem,
  pipEntryProblem,
} from "./conda-dependencies-validate.js";
import type { ValueProblem } from "./conda-dependencies-validate.js";

export interface CondaDependenciesCreateOptions {
  /** e.g. `3.10`; written as `python=3.10`. Absent: no python entry (the caller's default). */
  readonly pythonVersion?: string;
  readonly condaPackages?: readonly string[];
  readonly pipPackages?: readonly string[];
  /** Written as the pip option `--index-url <url>`. */
  readonly pipIndexUrl?: string;
}

export interface CondaDependenciesTextOptions {
  /** The file the text came from, for messages and for `save()` defaults; may be relative. */
  readonly path: string;
}

interface Layout {
  /** Spaces per level. */
  readonly indent: number;
  /** `key:\n  - item` (true) or `key:\n- item` (false), as the file was written. */
  readonly indentSeq: boolean;
}

const PYTHON = "python";

export class CondaDependencies {
  readonly #document: Document;
  /** The file this was loaded from or last saved to. */
  #path: string | undefined;
  readonly #layout: Layout;

  private constructor(document: Document, path: string | undefined, layout: Layout) {
    this.#document = document;
    this.#path = path;
    this.#layout = layout;
  }

  /** A new specification (Azure ML's `CondaDependencies.create`, without SDK packages). */
  static create(options: CondaDependenciesCreateOptions = {}): CondaDependencies {
    const spec = CondaDependencies.#parse("name: project_environment\n", undefined);
    if (options.pythonVersion !== undefined) spec.setPythonVersion(options.pythonVersion);
    for (const pkg of options.condaPackages ?? []) spec.addCondaPackage(pkg);
    // Azure also adds its public index as --extra-index-url; envforge leaves the choice of
    // indexes to the caller, who can add more with setPipOption.
    if (options.pipIndexUrl !== undefined) {
      spec.setPipOption(`--index-url ${options.pipIndexUrl}`);
    }
    for (const pkg of options.pipPackages ?? []) spec.addPipPackage(pkg);
    return spec;
  }

  /** Parses and checks a conda environment file; every problem is reported at once. */
  static fromText(text: string, options: CondaDependenciesTextOptions): CondaDependencies {
    return CondaDependencies.#parse(text, options.path);
  }

  /** From the Definition model; its source text, when kept, is used so comments survive. */
  static fromEnvironment(env: CondaEnvironment): CondaDependencies {
    if (env.source !== undefined) return CondaDependencies.#parse(env.source.text, env.source.path);
    const data: Record<string, unknown> = {};
    if (env.name !== undefined) data.name = env.name;
    if (env.channels.length > 0) data.channels = [...env.channels];
    const dependencies: unknown[] = [...env.dependencies];
    if (env.pip.length > 0) dependencies.push({ pip: [...env.pip] });
    if (dependencies.length > 0) data.dependencies = dependencies;
    if (Object.keys(env.variables).length > 0) data.variables = { ...env.variables };
    if (env.prefix !== undefined) data.prefix = env.prefix;
    return CondaDependencies.#parse(new Document(data).toString(), undefined);
  }

  /** Reads and parses a conda environment file. */
  static async load(path: string): Promise<CondaDependencies> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if (isErrno(error, "ENOENT")) {
        throw new NotFoundError(`conda environment file "${path}" does not exist`, {
          cause: error,
        });
      }
      if (isErrno(error, "EISDIR")) {
        throw ValidationError.single(
          {
            message: `conda environment file "${path}" is a folder`,
            allowed: `a file such as "${join(path, "environment.yml")}"`,
          },
          { cause: error },
        );
      }
      throw error;
    }
    return CondaDependencies.fromText(text, { path });
  }

  static #parse(text: string, path: string | undefined): CondaDependencies {
    const yaml = parseYamlSource({ path: path ?? "", text });
    const problems = condaFileProblems(yaml, path);
    if (problems.length > 0) throw new ValidationError(problems);
    return new CondaDependencies(yaml.document, path, layoutOf(yaml.document, text));
  }

  /** The channels, in order (order changes resolution). A copy. */
  get condaChannels(): string[] {
    return this.#strings(this.#sequence("channels"));
  }

  /** The conda match specs, as written. A copy. */
  get condaPackages(): string[] {
    return this.#strings(this.#sequence("dependencies"));
  }

  /** The pip requirements (entries of `pip:` that are not options). A copy. */
  get pipPackages(): string[] {
    return this.#strings(this.#pipSequence()).filter((entry) => !isPipOption(entry));
  }

  /** The environment's `name:`, or undefined when it has none. */
  get name(): string | undefined {
    const node = this.#document.get("name", true);
    return isScalar(node) && typeof node.value === "string" ? node.value : undefined;
  }

  /**
   * Sets `name:` in place (first, when it had none), keeping every comment. A registered
   * environment's is its definition hash (`envforge_<hash>`), as Azure ML's is `azureml_<hash>`;
   * the name is never part of that hash.
   */
  setName(name: string): void {
    const root = this.#document.contents;
    if (isMap(root) && !root.has("name")) {
      root.items.unshift(this.#document.createPair("name", name));
    } else {
      this.#document.set("name", name);
    }
  }

  /** The pip options (`pip:` entries starting with `-`). A copy. */
  get pipOptions(): string[] {
    return this.#strings(this.#pipSequence()).filter(isPipOption);
  }

  /**
   * The python version as written: `3.10` for `python=3.10` or `python==3.10`, otherwise the
   * version spec (`>=3.8,<3.12`); undefined without python or without a version.
   */
  getPythonVersion(): string | undefined {
    const python = this.#condaItems().find((item) => item.name === PYTHON);
    const version = python?.version;
    if (version === undefined) return undefined;
    const plain = /^(?:==)?([A-Za-z0-9_.+!-]+?)(?:\.\*)?$/.exec(version);
    return plain?.[1] ?? version;
  }

  /** Writes `python=<version>` in place of the python entry (keeping its comment), or adds it. */
  setPythonVersion(version: string): void {
    const written = version.trim();
    // Python's own versions: 3.10, 3.10.12, 3.13.0rc1 (and 3.10.* for conda's wildcard).
    if (!/^\d+(\.\d+){0,2}([a-z]+\d+)?(\.\*)?$/.test(written)) {
      throw invalid("python", {
        message: "not a valid python version",
        found: JSON.stringify(version),
        allowed: 'a version such as "3.10" or "3.10.12"',
      });
    }
    const python = this.#condaItems().find((item) => item.name === PYTHON);
    const prefix = python?.channelPrefix ?? "";
    this.#putCondaPackage(PYTHON, `${prefix}python=${written}`);
  }

  /**
   * Adds a conda match spec. An entry for the same package is replaced in place (Azure does
   * this for python only and appends duplicates of other packages, which conda then has to
   * reconcile); an identical entry is left as it is.
   */
  addCondaPackage(spec: string): void {
    const text = spec.trim();
    const problem = condaSpecProblem(text);
    if (problem !== undefined) throw invalid("dependencies", problem);
    const parsed = parseMatchSpec(text);
    if (!parsed.ok) return;
    this.#putCondaPackage(parsed.spec.name, text);
  }

  /**
   * Removes conda entries: the exact spec text, or every entry of a package given by bare name.
   * Returns whether anything was removed.
   */
  removeCondaPackage(spec: string): boolean {
    const text = spec.trim();
    const parsed = parseMatchSpec(text);
    if (parsed.ok && parsed.spec.name === PYTHON) {
      throw ValidationError.single({
        key: "dependencies",
        message: "python must not be removed from conda dependencies",
        found: JSON.stringify(spec),
      });
    }
    const byName =
      parsed.ok && text.toLowerCase() === parsed.spec.name ? parsed.spec.name : undefined;
    const doomed = this.#condaItems().filter(
      (item) => item.text === text || (byName !== undefined && item.name === byName),
    );
    return this.#removeNodes(
      this.#sequence("dependencies"),
      doomed.map((item) => item.node),
    );
  }

  /**
   * Adds a pip requirement. An entry for the same project replaces the first one in place:
   * Azure removed it and appended the new one at the end, which changed the order (and with it
   * the environment's hash) for a mere version bump. Creates the `pip:` item when missing.
   */
  addPipPackage(requirement: string): void {
    const text = requirement.trim();
    if (isPipOption(text)) {
      throw invalid("pip", {
        message: 'a pip package must not start with "-"; pip options are set with setPipOption',
        found: JSON.stringify(requirement),
      });
    }
    const problem = pipEntryProblem(text);
    if (problem !== undefined) throw invalid("pip", problem);
    const name = pipEntryName(text);
    const entries = this.#scalars(this.#pipSequence());
    if (entries.some((entry) => entry.text === text)) return;
    const same = name === undefined ? [] : entries.filter((entry) => entry.name === name);
    const [first, ...rest] = same;
    if (first === undefined) {
      this.#pipSequence(true)?.items.push(new Scalar(text));
      return;
    }
    first.node.value = text;
    this.#removeNodes(
      this.#pipSequence(),
      rest.map((entry) => entry.node),
    );
  }

  /** Removes every pip requirement of a project, by normalised name. Returns whether any was. */
  removePipPackage(requirement: string): boolean {
    const name = pipEntryName(requirement) ?? requirement.trim().toLowerCase();
    const doomed = this.#scalars(this.#pipSequence()).filter(
      (entry) =>
        !isPipOption(entry.text) && (entry.name === name || entry.text === requirement.trim()),
    );
    return this.#removeNodes(
      this.#pipSequence(),
      doomed.map((entry) => entry.node),
    );
  }

  /**
   * Sets a pip option. One with the same first word (e.g. `--index-url`) is replaced in place,
   * so there is only ever one; otherwise it is appended.
   */
  setPipOption(option: string): void {
    const text = option.trim();
    if (!isPipOption(text) || /[\r\n\0]/.test(text) || pipOptionKey(text).length < 2) {
      throw invalid("pip", {
        message: 'a pip option must be one line starting with "-"',
        found: JSON.stringify(option),
        allowed: 'e.g. "--index-url http://127.0.0.1:8080/simple"',
      });
    }
    const key = pipOptionKey(text);
    const entries = this.#scalars(this.#pipSequence());
    const existing = entries.find(
      (entry) => isPipOption(entry.text) && pipOptionKey(entry.text) === key,
    );
    if (existing !== undefined) existing.node.value = text;
    else this.#pipSequence(true)?.items.push(new Scalar(text));
  }

  /** Removes the pip option with the same first word. Returns whether there was one. */
  removePipOption(option: string): boolean {
    const key = pipOptionKey(option);
    const doomed = this.#scalars(this.#pipSequence()).filter(
      (entry) => isPipOption(entry.text) && pipOptionKey(entry.text) === key,
    );
    return this.#removeNodes(
      this.#pipSequence(),
      doomed.map((entry) => entry.node),
    );
  }

  /** Appends a channel unless it is already listed. */
  addChannel(channel: string): void {
    const text = channel.trim();
    if (text === "" || /\s/.test(text)) {
      throw invalid("channels", {
        message: "a channel must be one word with no spaces",
        found: JSON.stringify(channel),
        allowed: 'a channel name or URL, e.g. "conda-forge"',
      });
    }
    if (this.condaChannels.includes(text)) return;
    this.#sequence("channels", true)?.items.push(new Scalar(text));
  }

  /** Removes a channel. Returns whether it was listed. */
  removeChannel(channel: string): boolean {
    const doomed = this.#scalars(this.#sequence("channels")).filter(
      (entry) => entry.text === channel.trim(),
    );
    return this.#removeNodes(
      this.#sequence("channels"),
      doomed.map((entry) => entry.node),
    );
  }

  /** The YAML text, with the comments, order and quoting it was loaded with. */
  serializeToString(): string {
    return this.#document.toString({
      indent: this.#layout.indent,
      indentSeq: this.#layout.indentSeq,
      // Never fold long specs or URLs onto two lines.
      lineWidth: 0,
      flowCollectionPadding: false,
    });
  }

  /**
   * Writes the file atomically (a temporary file in the same folder, then rename), so a reader
   * never sees half a file. The folder must exist and python must be listed, as in Azure ML.
   */
  async save(path: string): Promise<void> {
    if (!this.#condaItems().some((item) => item.name === PYTHON)) {
      throw ValidationError.single({
        ...(this.#path === undefined ? {} : { file: this.#path }),
        key: "dependencies",
        message: "Python package is missing.",
        allowed: 'a python entry such as "python=3.10" (setPythonVersion)',
      });
    }
    const folder = dirname(path);
    const [folderStat, targetStat] = await Promise.all([
      statOrUndefined(folder),
      statOrUndefined(path),
    ]);
    if (folderStat === undefined || !folderStat.isDirectory()) {
      throw new NotFoundError(`cannot save "${path}": folder "${folder}" does not exist`);
    }
    if (targetStat?.isDirectory() === true) {
      throw ValidationError.single({
        message: `cannot save to "${path}": it is a folder`,
        allowed: `a file path such as "${join(path, "environment.yml")}"`,
      });
    }
    const temporary = join(folder, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await writeFile(temporary, this.serializeToString(), { encoding: "utf8", flag: "wx" });
      // A replaced file keeps its permissions (chmod, unlike writeFile's mode, ignores umask).
      if (targetStat !== undefined) await chmod(temporary, targetStat.mode & 0o7777);
      await rename(temporary, path);
      this.#path = path;
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Plain data for the Definition model; `source` keeps this text for later round trips. */
  toCondaEnvironment(): CondaEnvironment {
    const root = this.#document.contents;
    const scalarAt = (key: string): string | undefined => {
      const node = isMap(root) ? root.get(key, true) : undefined;
      return isScalar(node) && node.value !== null ? String(node.value) : undefined;
    };
    const variables: Record<string, string> = {};
    const variablesNode = isMap(root) ? root.get("variables", true) : undefined;
    if (isMap(variablesNode)) {
      for (const pair of variablesNode.items) {
        if (isScalar(pair.key) && isScalar(pair.value)) {
          variables[String(pair.key.value)] = String(pair.value.value);
        }
      }
    }
    const name = scalarAt("name");
    const prefix = scalarAt("prefix");
    return {
      ...(name === undefined ? {} : { name }),
      channels: this.condaChannels,
      dependencies: this.condaPackages,
      pip: this.#strings(this.#pipSequence()),
      variables,
      ...(prefix === undefined ? {} : { prefix }),
      source: { path: this.#path ?? "environment.yml", text: this.serializeToString() },
    };
  }

  /** Replaces the first entry of package `name` in place, or inserts `text` after the last spec. */
  #putCondaPackage(name: string, text: string): void {
    const items = this.#condaItems();
    if (items.some((item) => item.text === text)) return;
    const existing = items.find((item) => item.name === name);
    if (existing !== undefined) {
      existing.node.value = text;
      return;
    }
    const sequence = this.#sequence("dependencies", true);
    if (sequence === undefined) return;
    // Keep conda specs together, before the `pip:` item that usually ends the list.
    const lastSpec = sequence.items.findLastIndex((item) => isScalar(item));
    const at = lastSpec === -1 ? firstMapIndex(sequence) : lastSpec + 1;
    sequence.items.splice(at, 0, new Scalar(text));
  }

  #condaItems(): CondaItem[] {
    return this.#scalars(this.#sequence("dependencies")).map((entry) => {
      const parsed = parseMatchSpec(entry.text);
      const spec = parsed.ok ? parsed.spec : undefined;
      return {
        node: entry.node,
        text: entry.text,
        ...(spec === undefined ? {} : { name: spec.name }),
        ...(spec?.version === undefined ? {} : { version: spec.version }),
        channelPrefix:
          spec?.channel === undefined
            ? ""
            : `${spec.channel}${spec.subdir === undefined ? "" : `/${spec.subdir}`}::`,
      };
    });
  }

  #scalars(sequence: YAMLSeq | undefined): ScalarEntry[] {
    if (sequence === undefined) return [];
    return sequence.items.flatMap((item) => {
      if (!isScalar(item) || item.value === null || typeof item.value === "object") return [];
      const text = String(item.value).trim();
      return [{ node: item, text, ...(isPipOption(text) ? {} : pipName(text)) }];
    });
  }

  #strings(sequence: YAMLSeq | undefined): string[] {
    return this.#scalars(sequence).map((entry) => entry.text);
  }

  #root(): YAMLMap {
    const contents: unknown = this.#document.contents;
    if (isMap(contents)) return contents;
    const map = new YAMLMap();
    this.#document.contents = map;
    return map;
  }

  /** The sequence under a top-level key; created (in envforge's key order) when asked to. */
  #sequence(key: string, create = false): YAMLSeq | undefined {
    const root = this.#root();
    const pair = root.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (isSeq(pair?.value)) return pair.value;
    if (!create) return undefined;
    const sequence = new YAMLSeq();
    if (pair !== undefined) {
      pair.value = sequence;
      return sequence;
    }
    const order: readonly string[] = CONDA_FILE_KEYS;
    const rank = order.indexOf(key);
    const before = root.items.findIndex((item) => {
      const other = isScalar(item.key) ? order.indexOf(String(item.key.value)) : -1;
      return other > rank;
    });
    const created = new Pair(new Scalar(key), sequence);
    if (before === -1) root.items.push(created);
    else root.items.splice(before, 0, created);
    return sequence;
  }

  /** The `pip:` list inside `dependencies`; created at the end of the list when asked to. */
  #pipSequence(create = false): YAMLSeq | undefined {
    const dependencies = this.#sequence("dependencies", create);
    if (dependencies === undefined) return undefined;
    for (const item of dependencies.items) {
      if (!isMap(item)) continue;
      const pair = item.items.find((entry) => isScalar(entry.key) && entry.key.value === "pip");
      if (pair === undefined) continue;
      if (isSeq(pair.value)) return pair.value;
      if (!create) return undefined;
      const sequence = new YAMLSeq();
      pair.value = sequence;
      return sequence;
    }
    if (!create) return undefined;
    const sequence = new YAMLSeq();
    const map = new YAMLMap();
    map.items.push(new Pair(new Scalar("pip"), sequence));
    dependencies.items.push(map);
    return sequence;
  }

  #removeNodes(sequence: YAMLSeq | undefined, nodes: readonly Node[]): boolean {
    if (sequence === undefined || nodes.length === 0) return false;
    const doomed = new Set<unknown>(nodes);
    sequence.items = sequence.items.filter((item) => !doomed.has(item));
    return true;
  }
}

interface ScalarEntry {
  readonly node: Scalar;
  readonly text: string;
  /** Normalised pip project name, for pip entries that name one. */
  readonly name?: string;
}

interface CondaItem {
  readonly node: Scalar;
  readonly text: string;
  readonly name?: string;
  readonly version?: string;
  readonly channelPrefix: string;
}

function pipName(text: string): { name?: string } {
  const name = pipEntryName(text);
  return name === undefined ? {} : { name };
}

function firstMapIndex(sequence: YAMLSeq): number {
  const index = sequence.items.findIndex((item) => isMap(item));
  return index === -1 ? sequence.items.length : index;
}

function invalid(key: string, problem: ValueProblem): ValidationError {
  const full: Problem = { key, ...problem };
  return new ValidationError([full]);
}

/** The layout the file was written in, so re-serialising changes only what was edited. */
function layoutOf(document: Document, text: string): Layout {
  const root = document.contents;
  if (isMap(root)) {
    for (const pair of root.items) {
      const value = pair.value;
      if (!isSeq(value) || value.flow === true || !isScalar(pair.key)) continue;
      const keyStart = pair.key.range?.[0];
      const itemStart = value.range?.[0];
      if (keyStart === undefined || itemStart === undefined) continue;
      const offset = columnOf(text, itemStart) - columnOf(text, keyStart);
      if (offset === 0) return { indent: 2, indentSeq: false };
      if (offset > 0) return { indent: offset, indentSeq: true };
    }
  }
  return { indent: 2, indentSeq: true };
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1);
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (isErrno(error, "ENOENT") || isErrno(error, "ENOTDIR")) return undefined;
    throw error;
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}
