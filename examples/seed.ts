// The seed flow of ARCHITECTURE.md, on the parts that need no engine: define an environment from
// a conda spec, edit it, and look at exactly what its image will be made of.
// Run: npx tsx examples/seed.ts
import { Environment } from "../src/sdk/index.js";

const env = Environment.fromCondaSpecification("pytorch", "examples/pytorch/environment.yml");
env.python.condaDependencies.addPipPackage("tqdm>=4");

const recipe = env.getRecipe();
console.log(`definition hash: ${recipe.definitionHash}`);
console.log(recipe.dockerfile);
console.log(recipe.condaSpecification);
console.log(env.python.condaDependencies.serializeToString());
