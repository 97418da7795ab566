// The seed flow of ARCHITECTURE.md: define an environment from a conda spec, register it in the
// workspace (SQLite under $ENVFORGE_HOME by default), and look at exactly what its image is made of.
// Run: npx tsx examples/seed.ts
import { Environment, Workspace } from "../src/sdk/index.js";

const ws = await Workspace.open();
const env = Environment.fromCondaSpecification("pytorch", "examples/pytorch/environment.yml");
await env.register(ws);
console.log(`registered ${env.name} version ${env.version}`);

const details = await env.getImageDetails(ws);
console.log(`image: ${details.image.name}`);
console.log(details.ingredients.dockerfile);
console.log(env.python.condaDependencies.serializeToString());
await ws.close();
