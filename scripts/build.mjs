// Bundles the front doors with esbuild: each entry becomes one CommonJS file
// in dist/ with its dependencies (ts-morph and TypeScript included) inside.
// Entries whose source does not exist yet are skipped.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const entries = [
  { source: 'server/main-cli.ts', outfile: 'dist/cli.js', external: [] },
  { source: 'server/main-server.ts', outfile: 'dist/server.js', external: [] },
  { source: 'client/extension.ts', outfile: 'dist/client.js', external: ['vscode'] },
];

// esbuild imports a CommonJS package into ES-module code through getters
// (`__toESM`), so every `Node.isCallExpression` in the analysis pays a
// function call. This plugin serves `ts-morph` as an ES module whose
// exports are plain constants taken once from the CommonJS module.
const require = createRequire(import.meta.url);
const tsMorphDirect = {
  name: 'ts-morph-direct',
  setup(build) {
    build.onResolve({ filter: /^ts-morph$/ }, (args) =>
      args.namespace === 'ts-morph-direct' ? undefined : { path: 'ts-morph', namespace: 'ts-morph-direct', pluginData: { resolveDir: args.resolveDir } },
    );
    build.onLoad({ filter: /.*/, namespace: 'ts-morph-direct' }, () => {
      const names = Object.keys(require('ts-morph')).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      const contents = `const m = require(${JSON.stringify(require.resolve('ts-morph'))});\n${names.map((n) => `export const ${n} = m.${n};`).join('\n')}\n`;
      return { contents, loader: 'js', resolveDir: root };
    });
  },
};

/**
 * esbuild escapes every non-ASCII character of the code it writes, but not
 * of the comments it keeps. Escaping those too makes the bundle pure ASCII,
 * which bin/faultline.js can then read as Latin-1: a copy of the bytes,
 * where decoding 15 MB of UTF-8 costs tens of milliseconds at every start.
 * A `\uXXXX` escape means the same character in a string, a template, a
 * regular expression or an identifier, and is plain text in a comment.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(file, ascii);
}

const started = Date.now();
const built = [];
for (const entry of entries) {
  if (!existsSync(join(root, entry.source))) continue;
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: [entry.source],
    outfile: entry.outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: false,
    minify: false,
    external: entry.external,
    plugins: [tsMorphDirect],
    logLevel: 'warning',
  });
  asciiOnly(join(root, entry.outfile));
  built.push(entry.outfile);
}
console.log(`built ${built.join(', ') || 'nothing'} in ${Date.now() - started} ms`);
