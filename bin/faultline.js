#!/usr/bin/env node
'use strict';
// The published entry: the CLI bundled by scripts/build.mjs (run `npm run build` first in a checkout).
require('../dist/cli.js');
