import { execFile } from 'node:child_process';

/**
 * Runs a system tool (ip, nft, sysctl) and throws with its stderr when it fails, so a set-up error in the log says
 * what the kernel refused rather than just an exit code.
 */
export function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim() || err.message;
        reject(new Error(`${cmd} ${args.join(' ')}: ${detail}`));
      } else {
        resolve(String(stdout));
      }
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Like run, but a failure is returned instead of thrown: for teardown, which must go on past each error. */
export async function tryRun(cmd: string, args: string[], input?: string): Promise<string | Error> {
  try {
    return await run(cmd, args, input);
  } catch (err) {
    return err as Error;
  }
}
