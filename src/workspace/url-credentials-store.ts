/**
 * The part of the store port that keeps the credentials of channel and index URLs apart from
 * the definitions (see url-credentials.ts). No route reads it; a build's claim does.
 */
export interface UrlCredentialStoreTx {
  /** Sets (or replaces) the credentials of a definition in a workspace; `[]`-JSON removes them. */
  putUrlCredentials(record: {
    readonly workspace: string;
    readonly definitionHash: string;
    readonly credentialsJson: string;
    readonly now: string;
  }): Promise<void>;
  getUrlCredentials(key: {
    readonly workspace: string;
    readonly definitionHash: string;
  }): Promise<string | undefined>;
}
