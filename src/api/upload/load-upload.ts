/**
 * An HTTP upload as a source of a file map: the files a client sent (text or base64 with a
 * mode) become bytes and mode, and host/'s loader reads the definition from them, as it does
 * from a folder on the disk. Nothing is written anywhere.
 */
import type {
  LoadedDefinition,
  LoadDefinitionFilesOptions,
} from "../../host/load-definition-files.js";
import { loadDefinitionFiles } from "../../host/load-definition-files.js";
import type { DefinitionUpload } from "./upload-schema.js";
import { filesFromUpload } from "./upload-schema.js";

export type { LoadedDefinition as LoadedUpload } from "../../host/load-definition-files.js";

export function loadUpload(
  upload: DefinitionUpload,
  options: LoadDefinitionFilesOptions,
): LoadedDefinition {
  return loadDefinitionFiles(filesFromUpload(upload), options);
}
