/**
 * envforge's defaults name public hosts (conda's channel alias and default channels, pip's
 * index; see src/host/config.ts). Tests never reach them: every harness that registers, locks,
 * or starts the CLI or a server starts from these settings, which send each default to a closed
 * loopback port, so a definition that names no channel URL fails fast and offline. A test that
 * wants a reachable channel or index sets its own URLs over these.
 */

/** The discard port on loopback: nothing listens there, so connections are refused at once. */
export const CLOSED_LOOPBACK = "http://127.0.0.1:9";

export const LOOPBACK_DEFAULTS: Readonly<Record<string, string>> = {
  ENVFORGE_CHANNEL_ALIAS: `${CLOSED_LOOPBACK}/conda`,
  ENVFORGE_DEFAULT_CHANNELS: `${CLOSED_LOOPBACK}/defaults`,
  ENVFORGE_PIP_INDEX_URL: `${CLOSED_LOOPBACK}/simple`,
};

/** `env` over the loopback defaults: what `env` sets wins. */
export function withLoopbackDefaults(
  env: Readonly<Record<string, string | undefined>> = {},
): NodeJS.ProcessEnv {
  return { ...LOOPBACK_DEFAULTS, ...env };
}
