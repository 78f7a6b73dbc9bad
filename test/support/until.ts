/**
 * Polls `probe` (the state of another process: a Redis server, a cluster's
 * gossip, a Prometheus scrape) until it returns true. No deadline of its
 * own: a condition that never comes fails by the test runner's timeout, not
 * by a guess at how slow a busy machine may be. The pause between probes
 * only spaces them out.
 */
export async function until(probe: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await probe())) await new Promise((resolve) => setTimeout(resolve, 25));
}
