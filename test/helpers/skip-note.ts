/**
 * Says why a suite is skipped, where `npm test` shows it: on the process's stderr, which jest passes through from its
 * workers in every mode, unlike `console.log`, which jest buffers per test file and leaves out in some (`--silent`,
 * `--json`, or a file whose tests are all skipped).
 */
export function noteSkip(name: string, reason: string): void {
  process.stderr.write(`\nSKIPPED "${name}": ${reason}\n`)
}
