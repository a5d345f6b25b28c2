// Loaded with `node --import` into the CLI process when /usr/bin/time is not
// available: writes the process's peak resident set size (kilobytes) to the
// file named by FAULTLINE_BENCH_RSS_FILE when the process exits.
import { writeFileSync } from 'node:fs';

const out = process.env.FAULTLINE_BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    try {
      writeFileSync(out, String(process.resourceUsage().maxRSS));
    } catch {
      // the benchmark reports the memory as unknown
    }
  });
}
