/**
 * The order ts-morph keeps folders and files in must not change when its
 * comparer is replaced by the fast one: it is checked against ICU itself.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { LocaleStringComparer } from '@ts-morph/common';
import { comparePaths } from '../rules/core/path-order.ts';

const icu = new Intl.Collator('en-us-u-kf-upper');
const sign = (n: number): number => Math.sign(n);

describe('comparePaths: ts-morph folder order without ICU', () => {
  it('is what ts-morph uses once the engine is loaded', async () => {
    await import('../rules/core/project.ts');
    assert.equal(LocaleStringComparer.instance.compareTo, comparePaths);
  });

  it('orders like ICU: punctuation, digits, letters; case last, uppercase first', () => {
    const words = ['b', 'B', 'a', 'A', 'a-b', 'a_b', 'a.b', 'a/b', 'a1', 'a10', 'a2', 'ab', 'aB', 'Ab', 'AB', '', ' ', '~', '$x', 'z', 'Z0'];
    const mine = [...words].sort(comparePaths);
    const theirs = [...words].sort((a, b) => icu.compare(a, b));
    assert.deepEqual(mine, theirs);
  });

  it('agrees with ICU on random printable strings and on the paths of node_modules', () => {
    const alphabet = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const word = (): string => Array.from({ length: 1 + Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let i = 0; i < 50_000; i++) {
      const a = word();
      const b = random() < 0.3 ? a.toUpperCase() : random() < 0.5 ? a + word() : word();
      assert.equal(comparePaths(a, b), sign(icu.compare(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
    const paths: string[] = [];
    const walk = (dir: string, depth: number): void => {
      if (depth > 4 || paths.length > 20_000) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        paths.push(path.join(dir, e.name));
        if (e.isDirectory()) walk(path.join(dir, e.name), depth + 1);
      }
    };
    walk(path.join(__dirname, '..', 'node_modules'), 0);
    for (let i = 1; i < paths.length; i++) assert.equal(comparePaths(paths[i - 1]!, paths[i]!), sign(icu.compare(paths[i - 1]!, paths[i]!)), `${paths[i - 1]} vs ${paths[i]}`);
  });

  it('asks ICU for anything else', () => {
    for (const [a, b] of [['café', 'cafe'], ['Ärger', 'Arger'], ['a\tb', 'a b'], ['日本', 'にほん'], ['x\u0000y', 'xy']]) {
      assert.equal(comparePaths(a!, b!), sign(icu.compare(a!, b!)), `${a} vs ${b}`);
    }
  });
});
