// Regenerates vectors/protocol-vectors.json: `pnpm --filter @opg/protocol vectors`.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildProtocolVectors } from "../src/vectors.js";

const path = fileURLToPath(new URL("../vectors/protocol-vectors.json", import.meta.url));
writeFileSync(path, `${JSON.stringify(buildProtocolVectors(), null, 2)}\n`);
console.log(`wrote ${path}`);
