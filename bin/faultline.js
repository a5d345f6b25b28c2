#!/usr/bin/env node
'use strict';
// The published entry: runs the CLI bundled by scripts/build.mjs (run `npm run build` first in a checkout).
//
// The bundle is 15 MB (TypeScript's compiler is inside): compiling it is most
// of the CLI's start-up. Node 20 has no built-in compile cache
// (`module.enableCompileCache` arrived in Node 22), so this loader keeps V8's
// code cache of the bundle in the system's temporary folder, keyed by the
// bundle's identity and the Node version, and hands it to V8 on the next run.
// Any failure (no cache yet, a cache V8 rejects, a read-only folder) falls
// back to a plain compile: the cache only ever saves time.
// FAULTLINE_NO_COMPILE_CACHE=1 turns it off.
const fs = require('node:fs');
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'cli.js');

function cacheFileFor(file) {
  const crypto = require('node:crypto');
  const os = require('node:os');
  const stat = fs.statSync(file);
  const key = crypto
    .createHash('sha256')
    .update([file, stat.size, stat.mtimeMs, process.version, process.arch, process.execArgv.join(' ')].join('\0'))
    .digest('hex')
    .slice(0, 24);
  // One cache per command: each holds the functions its command runs (a cache made by `--version` lacks the analysis).
  const command = /^[a-z]+$/.test(process.argv[2] ?? '') ? process.argv[2] : 'other';
  return path.join(os.tmpdir(), 'faultline-compile-cache', `cli-${key}-${command}.bin`);
}

/**
 * Each build, install or Node version writes new caches of about 10 MB: keep
 * the most recently written few, so that the temporary folder does not fill
 * up with caches of bundles long gone.
 */
const MAX_CACHES = 8;
function pruneCaches(dir, keep) {
  const caches = fs
    .readdirSync(dir)
    .filter((name) => /^cli-[0-9a-f]+-[a-z]+\.bin$/.test(name))
    .map((name) => {
      const file = path.join(dir, name);
      try {
        return { file, mtime: fs.statSync(file).mtimeMs };
      } catch {
        return undefined;
      }
    })
    .filter((c) => c !== undefined && c.file !== keep)
    .sort((a, b) => b.mtime - a.mtime);
  for (const stale of caches.slice(MAX_CACHES - 1)) {
    try {
      fs.unlinkSync(stale.file);
    } catch {
      // Another process may have removed it first.
    }
  }
}

function runWithCompileCache(file) {
  const vm = require('node:vm');
  const Module = require('node:module');
  const cacheFile = cacheFileFor(file);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // scripts/build.mjs writes the bundle in ASCII: read as Latin-1 it is the same text, copied rather than decoded.
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'latin1')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // Written at exit, so that the cache also holds the functions this run compiled lazily.
    process.once('exit', () => {
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        const temp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(temp, script.createCachedData());
        fs.renameSync(temp, cacheFile);
        pruneCaches(path.dirname(cacheFile), cacheFile);
      } catch {
        // A cache that cannot be written costs the next run its compile, nothing else.
      }
    });
  }
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  const wrapper = script.runInThisContext();
  require.cache[file] = mod;
  wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  mod.loaded = true;
}

if (process.env.FAULTLINE_NO_COMPILE_CACHE === '1') {
  require(bundle);
} else {
  let prepared = false;
  try {
    fs.accessSync(bundle, fs.constants.R_OK);
    prepared = true;
  } catch {
    // Let `require` report the missing build the usual way.
  }
  if (prepared) runWithCompileCache(bundle);
  else require(bundle);
}
