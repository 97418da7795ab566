/** Credentials for one registry, and where they came from (named in messages, never shown). */
export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
  /** For messages: `/home/u/.docker/config.json` or `credential helper docker-credential-pass`. */
  readonly source: string;
}

/** Where credentials are found, e.g. the Docker config (`docker-config.ts`). */
export interface CredentialSource {
  /** For messages: where a user would add credentials, e.g. the config file's path. */
  readonly description: string;
  /** The credentials for a registry host such as `127.0.0.1:5001`; undefined: anonymous. */
  find(registry: string): Promise<RegistryCredentials | undefined>;
}

/** No credentials for any registry. */
export const anonymousCredentials: CredentialSource = {
  description: "no credential source",
  find: () => Promise.resolve(undefined),
};
