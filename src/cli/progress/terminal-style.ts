/**
 * Colour for a terminal, and none elsewhere: off a TTY, with NO_COLOR set to anything non-empty
 * (no-color.org), or on a dumb terminal. Decided once per stream; the CLI never colours a pipe.
 */
export type Style = "red" | "green" | "yellow" | "cyan" | "dim" | "bold";

/**
 * Select Graphic Rendition codes (ECMA-48): on, off. Written here rather than with
 * util.styleText, which decides from process.stdout whether to colour, not from the stream
 * this style is for.
 */
const SGR: Readonly<Record<Style, readonly [number, number]>> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export interface TerminalStyle {
  readonly colour: boolean;
  paint(style: Style, text: string): string;
}

/** A stream's TTY flag, for streams that do not declare one (a PassThrough in tests). */
export function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { readonly isTTY?: boolean }).isTTY === true;
}

export function terminalStyle(options: {
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
}): TerminalStyle {
  const colour =
    options.isTTY &&
    (options.env.NO_COLOR === undefined || options.env.NO_COLOR === "") &&
    options.env.TERM !== "dumb";
  return {
    colour,
    paint: (style, text) => {
      if (!colour) return text;
      const [on, off] = SGR[style];
      return `\u001b[${on}m${text}\u001b[${off}m`;
    },
  };
}
