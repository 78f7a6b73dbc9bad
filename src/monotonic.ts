/**
 * The process's `performance` object, read once. Node defines the global
 * `performance` as a lazy accessor: each read of it runs a getter (about 150
 * instructions, measured under callgrind), and a store call's deadline and
 * its timing for the metrics read it on every decision. Methods stay looked
 * up on the object, so a test that mocks `performance.now` is still obeyed.
 */
export const monotonic: { now(): number } = globalThis.performance;
