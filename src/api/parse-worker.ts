/**
 * A thread of the parse pool (parse-pool.ts): reads JSON bodies and registration bodies off the
 * server's event loop. Each message is one task; the answer goes back by structured clone, with
 * the build context's file bytes transferred rather than copied.
 */
import { parentPort } from "node:worker_threads";
import type { ParseSettings } from "../definition/definition.js";
import { isRecord } from "../definition/model-shape.js";
import { readJsonBody } from "./json-reading.js";
import { errorToWire, readRegistration } from "./upload/read-registration.js";

const port = parentPort;
if (port === null) throw new Error("parse-worker.js runs as a worker thread of the API server");

port.on("message", (task: unknown) => {
  if (!isRecord(task) || typeof task.id !== "number" || !(task.bytes instanceof Uint8Array)) return;
  const { id, bytes } = task;
  try {
    if (task.kind === "json") {
      port.postMessage({ id, answer: readJsonBody(bytes) });
      return;
    }
    const settings = settingsOf(task.settings);
    const answer = readRegistration(bytes, settings);
    const transfer =
      answer.kind === "read" ? ownedBuffers([...answer.contextContent.values()]) : [];
    port.postMessage({ id, answer }, transfer);
  } catch (error) {
    port.postMessage({ id, crash: errorToWire(error) });
  }
});

function settingsOf(value: unknown): ParseSettings {
  if (isParseSettings(value)) return value;
  throw new Error("a registration task came without its parse settings");
}

function isParseSettings(value: unknown): value is ParseSettings {
  return (
    isRecord(value) &&
    typeof value.defaultBaseImage === "string" &&
    typeof value.defaultPythonVersion === "string" &&
    typeof value.defaultPlatform === "string"
  );
}

/** Buffers that may be moved to the other thread: each the whole of one array, used once. */
function ownedBuffers(arrays: readonly Uint8Array[]): ArrayBuffer[] {
  const uses = new Map<ArrayBufferLike, number>();
  for (const array of arrays) uses.set(array.buffer, (uses.get(array.buffer) ?? 0) + 1);
  const owned: ArrayBuffer[] = [];
  for (const array of arrays) {
    const { buffer } = array;
    const whole = array.byteOffset === 0 && array.byteLength === buffer.byteLength;
    if (buffer instanceof ArrayBuffer && whole && uses.get(buffer) === 1) owned.push(buffer);
  }
  return owned;
}
