// Moves a fresh Vite build (argv[2]) into dist/ (argv[3]) touching only files whose bytes
// changed, and removing files that are gone. The desktop shell embeds dist/ and cargo rebuilds
// it when a file there is newer than the last build: an unchanged UI then costs no rebuild.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error("usage: node sync-dist.mjs FRESH_BUILD DIST");

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

const fresh = new Set(files(from));
let written = 0;
for (const name of fresh) {
  const bytes = readFileSync(join(from, name));
  const target = join(to, name);
  if (existsSync(target) && readFileSync(target).equals(bytes)) continue;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, bytes);
  written += 1;
}
let removed = 0;
for (const name of files(to)) {
  if (!fresh.has(name)) {
    rmSync(join(to, name));
    removed += 1;
  }
}
rmSync(from, { recursive: true, force: true });
console.log(`${to}: ${written} written, ${removed} removed, ${fresh.size - written} unchanged`);
