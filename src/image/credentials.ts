/** Credentials for one registry, and where they came from (named in messages, never shown). */
export interface RegistryCredentials {
  readonly username: string;
  /** Empty when an identity token stands in for it. */
  readonly password: string;
  /**
   * An OAuth2 refresh token (`identitytoken` in config.json, or a helper's `<token>` user), as
   * `docker login` stores for registries whose login is an identity provider's. Exchanged at the
   * token realm for access tokens; takes the place of the password.
   */
  readonly identityToken?: string;
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
