/** The `faultline` executable's entry (bundled to dist/cli.js). */
import { main } from './cli.ts';

process.exitCode = main(process.argv);
