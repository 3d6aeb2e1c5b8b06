// Preloaded (node --import) into a child when GNU time is missing: writes the child's
// process.resourceUsage() (maxRSS in KiB, CPU µs) to $FTR_BENCH_RUSAGE on exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.FTR_BENCH_RUSAGE) writeFileSync(process.env.FTR_BENCH_RUSAGE, JSON.stringify(process.resourceUsage()));
});
