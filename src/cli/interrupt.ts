/**
 * Ctrl-C as tcpdump and tshark take it: the first SIGINT stops the reading,
 * and the command prints what it has (the connections read so far, still-open
 * ones as open) and exits 0; a second one quits at once with 130 (128 +
 * SIGINT, what the shell reports for a process a signal ended).
 */

/** Exit status of a process ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

let controller: AbortController | undefined;

/**
 * The signal that the first SIGINT aborts. Installs the handler on first use; it
 * stays for the rest of the process, so a Ctrl-C while the output is written
 * still counts as the first one.
 */
export function interruptSignal(): AbortSignal {
  if (controller !== undefined) return controller.signal;
  const c = new AbortController();
  controller = c;
  process.on('SIGINT', () => {
    if (c.signal.aborted) process.exit(EXIT_INTERRUPTED);
    c.abort();
  });
  return c.signal;
}

/** True once the first SIGINT came. */
export function wasInterrupted(): boolean {
  return controller?.signal.aborted === true;
}
