// Regenerates the typed API client's types from the backend's OpenAPI schema.
// Dumps the schema with the project's Python (no server needed), then runs openapi-typescript.
// Both outputs are committed so `npm run build` never needs Python.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const repo = resolve(frontend, "..");
const python = resolve(repo, ".venv/bin/python");
const dump =
  "import json, tempfile, pathlib\n" +
  "from ontolabel.core.config import Settings\n" +
  "from ontolabel.api.app import create_app\n" +
  "home = pathlib.Path(tempfile.mkdtemp())\n" +
  "print(json.dumps(create_app(Settings(home=home)).openapi(), indent=2, sort_keys=True))\n";
const schema = execFileSync(python, ["-c", dump], { cwd: repo, encoding: "utf8" });
writeFileSync(resolve(frontend, "openapi.json"), schema);
execFileSync(
  resolve(frontend, "node_modules/.bin/openapi-typescript"),
  ["openapi.json", "-o", "src/api/schema.d.ts"],
  { cwd: frontend, stdio: "inherit" },
);
