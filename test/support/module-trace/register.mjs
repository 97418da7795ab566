// Registers hooks.mjs: `node --import tsx --import ./register.mjs MAIN ...` with
// ENVFORGE_MODULE_TRACE=<file> appends every module URL the program resolves to that file.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
