/**
 * A log of any length: chunks split into lines, only the lines in view rendered (fixed row
 * height), in a box of fixed height so nothing on the page moves while lines arrive. It keeps
 * to the bottom while the reader is there, and lets them scroll back without being pulled down.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { LogChunk } from "../api";

const ROW = 18;
const OVERSCAN = 20;

interface Line {
  readonly text: string;
  readonly stream: LogChunk["stream"];
  readonly failing: boolean;
}

/**
 * Log chunks as lines. A `step` line starts a step, and the lines after it (its output) belong to
 * it until the next step line or an envforge line; the failing step's lines are marked.
 */
export function toLines(chunks: readonly LogChunk[], failedStep: string | null): Line[] {
  const lines: Line[] = [];
  let inFailing = false;
  for (const chunk of chunks) {
    for (const text of chunk.text.replace(/\n$/, "").split("\n")) {
      if (chunk.stream === "step") {
        inFailing = failedStep !== null && failedStep !== "" && text.includes(failedStep);
      } else if (chunk.stream === "envforge") {
        inFailing = false;
      }
      lines.push({ text, stream: chunk.stream, failing: inFailing });
    }
  }
  return lines;
}

export function LogView(props: {
  chunks: readonly LogChunk[];
  failedStep?: string | null;
  label: string;
}) {
  const lines = useMemo(
    () => toLines(props.chunks, props.failedStep ?? null),
    [props.chunks, props.failedStep],
  );
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(480);
  const following = useRef(true);

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const element = box.current;
    if (element !== null && following.current) element.scrollTop = element.scrollHeight;
  }, [lines.length]);

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);

  return (
    <div
      className="log"
      ref={box}
      tabIndex={0}
      role="log"
      aria-label={props.label}
      aria-live="off"
      onScroll={(event) => {
        const element = event.currentTarget;
        setScrollTop(element.scrollTop);
        following.current =
          element.scrollTop + element.clientHeight >= element.scrollHeight - ROW * 2;
      }}
    >
      {lines.length === 0 ? (
        <div className="log-empty">No log lines yet.</div>
      ) : (
        <div className="log-body" style={{ height: lines.length * ROW }}>
          {lines.slice(first, last).map((line, i) => (
            <div
              key={first + i}
              className={`log-line log-${line.stream}${line.failing ? " log-failing" : ""}`}
              style={{ top: (first + i) * ROW }}
            >
              <span className="log-number" aria-hidden="true">
                {first + i + 1}
              </span>
              {line.text}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
