/**
 * CPU time of processes on this machine, from /proc (Linux only): where a bench's CPU goes, per
 * process, without sampling or estimating.
 */
import fs from 'node:fs';

/**
 * utime + stime of a process, in seconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of
 * 1/100 s, the USER_HZ every Linux exposes to user space whatever the kernel's own tick).
 */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: field 3 is index 0, so utime (14) is index 11, stime (15) index 12.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The pid of the process whose command line holds every one of `args` (e.g. the dev server
 * started with `--metrics-port 43121`), or null (no /proc, or none found).
 */
export function findPid(args: string[]): number | null {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let cmd: string[];
    try {
      cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (args.every((a) => cmd.includes(a))) return Number(e);
  }
  return null;
}
