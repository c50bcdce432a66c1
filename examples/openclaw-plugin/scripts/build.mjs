// Builds what the package carries besides its JS: the host-node addon and the
// provider plugin library for this platform, into npm/<platform>/ (napi-rs's
// per-platform package layout), host-node's JS wrapper into lib/, and the
// repository's licence files.
//
//   npm run build           release builds: `napi build` for the addon,
//                           `cargo build --release` for the plugin
//   node scripts/build.mjs --debug
//                           no build: the debug libraries `cargo build` or
//                           `cargo test` left in target/debug (for tests)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { platformSuffix } from "../../../host-node/index.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, "..");
const root = path.resolve(pkg, "../..");
const suffix = platformSuffix();
const out = path.join(pkg, "npm", suffix);
const debug = process.argv.includes("--debug");
const lib = { linux: "so", darwin: "dylib" }[process.platform] ?? "so";
const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");

function run(command, args, cwd = pkg) {
  console.log(`$ ${command} ${args.join(" ")}`);
  execFileSync(command, args, { cwd, stdio: "inherit" });
}

/** The newest of the files that exist. */
function newest(...files) {
  const found = files.filter((f) => fs.existsSync(f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!found.length) throw new Error(`none of ${files.join(", ")} exists: build the workspace first (cargo build --workspace)`);
  return found[0];
}

function copy(from, to) {
  // Replace, never write through: a running gateway may have the old file mapped.
  fs.rmSync(to, { force: true });
  fs.copyFileSync(from, to);
  console.log(`${path.relative(pkg, to)} <- ${path.relative(root, from)} (${(fs.statSync(to).size / 1e6).toFixed(1)} MB)`);
}

fs.mkdirSync(out, { recursive: true });
const addonFile = path.join(out, `host-node.${suffix}.node`);
if (debug) {
  copy(newest(path.join(target, "debug", `libhost_node.${lib}`)), addonFile);
  copy(
    newest(path.join(target, "debug", `libhuggingface_provider.${lib}`), path.join(target, "debug", "deps", `libhuggingface_provider.${lib}`)),
    path.join(out, `libhuggingface_provider.${lib}`),
  );
} else {
  run("npx", ["napi", "build", "--platform", "--release", "--manifest-path", path.join(root, "host-node", "Cargo.toml"), "--output-dir", out, "--no-js", "--no-dts-header", "--dts", path.relative(out, path.join(root, "host-node", "raw.d.ts"))]);
  run("cargo", ["build", "--release", "-p", "huggingface-provider"], root);
  copy(path.join(target, "release", `libhuggingface_provider.${lib}`), path.join(out, `libhuggingface_provider.${lib}`));
}
copy(path.join(root, "host-node", "index.js"), path.join(pkg, "lib", "host-node.js"));
// The repository's licences, which the tarball carries ("files").
for (const licence of ["LICENSE-MIT", "LICENSE-APACHE"]) copy(path.join(root, licence), path.join(pkg, licence));
