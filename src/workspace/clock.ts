/** Injected time and ids (STYLE.md 7): services never read the wall clock or invent ids. */
import { randomUUID } from "node:crypto";

export type Clock = () => Date;
export type NewId = () => string;

export const systemClock: Clock = () => new Date();
export const randomId: NewId = () => randomUUID();

export function isoNow(clock: Clock): string {
  return clock().toISOString();
}
