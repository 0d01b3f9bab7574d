// Files a command must not leave behind (reconcile's listings hold users' emails): removed when
// the process exits, also when an operator presses Ctrl-C or the shell sends SIGTERM, which
// otherwise end Node without running `finally` blocks. A signal is then raised again with the
// default handler, so the exit status says the process was interrupted (130 for Ctrl-C).
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** Runs `remove` once, at whichever comes first: the returned release, process exit, or a signal. */
export function removeOnExit(remove: () => void): () => void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    release();
    remove();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    run();
    process.kill(process.pid, signal);
  };
  const release = () => {
    process.off("exit", run);
    for (const s of SIGNALS) process.off(s, onSignal);
  };
  process.once("exit", run);
  for (const s of SIGNALS) process.once(s, onSignal);
  return run;
}
