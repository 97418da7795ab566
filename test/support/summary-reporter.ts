import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that any CI log reader
 * can count, whatever vitest's own summary looks like. A file whose hooks failed (beforeAll,
 * afterAll) or an error outside any test fails the run even when every test passed, so those are
 * counted on the same line instead of hiding behind "0 failed".
 */
export class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError> = [],
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const failedFiles: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failed += 1;
        else skipped += 1;
      }
      if (module.state() === "failed" && module.errors().length > 0) {
        failedFiles.push(module.moduleId);
      }
    }
    const extra = [
      failedFiles.length > 0 ? `${failedFiles.length} test files failed outside their tests` : "",
      unhandledErrors.length > 0 ? `${unhandledErrors.length} unhandled errors` : "",
    ].filter((part) => part !== "");
    const tail = extra.length > 0 ? `; ${extra.join(", ")}` : "";
    process.stdout.write(
      `\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped${tail}\n`,
    );
    for (const file of failedFiles) process.stdout.write(`  failed outside its tests: ${file}\n`);
  }
}
