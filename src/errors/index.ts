export * from "./errors.js";
export * from "./error-map.js";
