// Writes the built-in models into openclaw.plugin.json's `modelCatalog`, from
// the plugin itself (its built-in list, discovery off), so `openclaw models
// list` and `models set` know them offline and the list has one source.
//
//   node scripts/catalog.mjs            rewrite the manifest
//   node scripts/catalog.mjs --check    exit 1 if the manifest is out of date
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { modelDefinition } from "../lib/catalog.js";
import { privateHost } from "../lib/native.js";

const file = new URL("../openclaw.plugin.json", import.meta.url);
const manifest = JSON.parse(fs.readFileSync(file, "utf8"));
const host = await privateHost({ discovery: { enabled: false }, stateDir: fs.mkdtempSync(path.join(os.tmpdir(), "hf-catalog-")) });
const models = (await host.discover())
  .filter((m) => m.source === "builtin")
  .sort((a, b) => a.id.localeCompare(b.id))
  .map((m) => modelDefinition(m));
await host.shutdown(1000);
const current = JSON.stringify(manifest.modelCatalog.providers.huggingface.models);
if (process.argv.includes("--check")) {
  if (current !== JSON.stringify(models)) {
    console.error("openclaw.plugin.json: modelCatalog differs from the plugin's built-in models; run node scripts/catalog.mjs");
    process.exit(1);
  }
  console.log(`modelCatalog: ${models.length} built-in models, up to date`);
} else {
  manifest.modelCatalog.providers.huggingface.models = models;
  fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`modelCatalog: ${models.length} built-in models written`);
}
