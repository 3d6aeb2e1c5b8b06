#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// `ftr run … | head`: a closed pipe is the reader's choice, not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
