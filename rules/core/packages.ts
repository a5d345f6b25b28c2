import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceFile } from 'ts-morph';

/** The dependencies a package.json declares, all kinds together, by name → version range. */
type Dependencies = Map<string, string>;

const manifests = new Map<string, Dependencies | undefined>();

function readManifest(dir: string): Dependencies | undefined {
  if (manifests.has(dir)) return manifests.get(dir);
  let deps: Dependencies | undefined;
  const file = path.join(dir, 'package.json');
  try {
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, string> | undefined>;
    deps = new Map();
    for (const key of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(json[key] ?? {})) deps.set(name, range);
    }
  } catch {
    deps = undefined; // No package.json here (or an unreadable one): look further up.
  }
  manifests.set(dir, deps);
  return deps;
}

/**
 * The version range with which the nearest package.json above a file
 * declares a dependency, or undefined when it does not (or there is none,
 * as for files held only in memory).
 */
export function declaredDependency(sf: SourceFile, name: string): string | undefined {
  for (let dir: string = sf.getDirectoryPath(); ; dir = path.dirname(dir)) {
    const deps = readManifest(dir);
    if (deps) return deps.get(name);
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** The major version a range such as `^2.6.1`, `~7.0`, `2.x` or `>=6 <7` starts from. */
export function majorOf(range: string | undefined): number | undefined {
  const m = range ? /(\d+)/.exec(range) : null;
  return m ? Number(m[1]) : undefined;
}

/** For tests and the language server: package.json files may have changed. */
export function forgetManifests(): void {
  manifests.clear();
}
