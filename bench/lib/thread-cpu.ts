import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds of each thread of this process, by thread id (Linux `/proc`; empty elsewhere). */
export function threadCpu(): Map<string, number> {
  try {
    return new Map(readdirSync('/proc/self/task').map((tid) => [tid, cpuOfThread(tid)]));
  } catch {
    return new Map();
  }
}

/** CPU milliseconds of this process's main thread (the event loop), or undefined off Linux. */
export function mainThreadCpu(): number | undefined {
  try {
    return cpuOfThread(String(process.pid));
  } catch {
    return undefined;
  }
}

function cpuOfThread(tid: string): number {
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (10 ms).
  const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
