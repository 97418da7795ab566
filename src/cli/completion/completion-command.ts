/**
 * `envforge completion bash|zsh|fish`: prints the shell's completion script, made by
 * @pnpm/tabtab (pnpm's well-kept fork of tabtab). The script calls the hidden
 * `envforge completion-server`, which reads the line being typed from the COMP_* variables and
 * answers with the commands and options that can come next, from the command tree itself, so
 * completion never drifts from the CLI.
 */
import type { Command } from "commander";
import { ValidationError } from "../../errors/index.js";
import type { CliIo } from "../context.js";
import { writeJson } from "../context.js";
import { withExamples } from "../help.js";

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

/** Where each shell reads a completion script from, for the help text. */
const INSTALL_HINTS: Readonly<Record<Shell, string>> = {
  bash: "envforge completion bash > ~/.local/share/bash-completion/completions/envforge",
  zsh: 'envforge completion zsh > "${fpath[1]}/_envforge"   # or: source <(envforge completion zsh)',
  fish: "envforge completion fish > ~/.config/fish/completions/envforge.fish",
};

export function registerCompletionCommand(program: Command, io: CliIo): void {
  withExamples(
    program
      .command("completion")
      .description("Print the shell completion script for bash, zsh or fish")
      .argument("<shell>", SHELLS.join(", "))
      .option("--json", "print { shell, script } for scripts"),
    ...SHELLS.map((shell) => INSTALL_HINTS[shell]),
  ).action(async (shell: string, options: { readonly json?: boolean }) => {
    const { getCompletionScript } = await import("@pnpm/tabtab");
    const script = await getCompletionScript({
      name: "envforge",
      completer: "envforge",
      shell: shellOf(shell),
    });
    if (options.json === true) return writeJson(io, { shell, script });
    io.stdout.write(script.endsWith("\n") ? script : `${script}\n`);
  });

  program
    .command("completion-server", { hidden: true })
    .description("Answer a completion script: what can come next on the line being typed")
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async () => {
      const { parseEnv, log } = await import("@pnpm/tabtab");
      const typed = parseEnv(io.env);
      const shell = SHELLS.find((name) => name === io.env.SHELL) ?? "bash";
      // The program this command was added to holds every command (commands.ts loads them all
      // for completion-server).
      const items = completions(program, typed.partial);
      log(items, shell, (line) => io.stdout.write(`${line}\n`));
    });
}

/** What can follow the words before the cursor: subcommands, or options after a `-`. */
export function completions(
  tree: Command,
  partial: string,
): { readonly name: string; readonly description: string }[] {
  const words = partial.split(/\s+/);
  const current = words.pop() ?? "";
  let command = tree;
  for (const word of words.slice(1)) {
    const next = command.commands.find(
      (child) => child.name() === word || child.aliases().includes(word),
    );
    if (next !== undefined) command = next;
  }
  const candidates = current.startsWith("-")
    ? command.options
        .filter((option) => !option.hidden && option.long !== undefined)
        .map((option) => ({ name: option.long ?? "", description: option.description }))
    : command.commands
        .filter((child) => child.name() !== "completion-server")
        .map((child) => ({ name: child.name(), description: child.description() }));
  return candidates
    .filter((candidate) => candidate.name.startsWith(current))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function shellOf(text: string): Shell {
  const shell = SHELLS.find((name) => name === text);
  if (shell === undefined) {
    throw ValidationError.single({
      key: "shell",
      message: "no completion for this shell",
      found: JSON.stringify(text),
      allowed: SHELLS.join(", "),
    });
  }
  return shell;
}
