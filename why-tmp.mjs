import { build } from "esbuild";
const [entry, ...targets] = process.argv.slice(2);
const r = await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", write: false, metafile: true, outdir: "/tmp/x", splitting: true, external: ["better-sqlite3","@conda-org/rattler","cpu-features","ssh2","pg-native","@pnpm/tabtab"], logLevel: "error" });
const ins = r.metafile.inputs;
// static imports only (kind import-statement / require-call)
const prev = new Map([[entry.replace(/^\.\//,""), null]]);
const q=[entry.replace(/^\.\//,"")];
while(q.length){const c=q.shift(); for(const i of ins[c]?.imports??[]){ if(!process.env.DYN&&i.kind!=="import-statement"&&i.kind!=="require-call")continue; if(!prev.has(i.path)){prev.set(i.path,c);q.push(i.path);} }}
for (const t of targets){ const hit=[...prev.keys()].find(k=>k.includes(t)); if(!hit){console.log(t,"not statically reached");continue;} const chain=[];let c=hit;while(c){chain.push(c);c=prev.get(c);} console.log(chain.reverse().join("\n  -> ")); }
let total=0; for (const k of prev.keys()) total+=ins[k]?.bytes??0; console.log("static closure bytes", total, "modules", prev.size);
