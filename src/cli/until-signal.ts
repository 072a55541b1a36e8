/**
 * Resolves on the first SIGINT or SIGTERM (Ctrl-C, docker stop), for the commands that serve
 * until stopped. Both handlers come off then: a second signal is not caught here (with no other
 * listener, Node's default ends the process).
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
