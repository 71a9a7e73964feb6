// Runs Python in the 32-bit MicroPython of the official WebAssembly port, pinned in
// tools/wasm32/package.json (installed by `make setup`); tools/wasm32.py drives it.
//
//     node tools/wasm32.mjs < job.json
//
// The job (JSON on stdin): {"heapsize": bytes, "trees": [[host folder, target folder], ...],
// "path": [folders put in front of sys.path], "steps": ["python code", ...]}.  Each tree is
// copied into the port's own file system (it cannot see the host's), __pycache__ left out.
// Each step is one runPython call: the port collects garbage only when control returns to
// JavaScript, so a step that calls gc.collect() is measured by the next one.  Prints one JSON
// object: {"outputs": [what each step printed], "error": null or {"step", "type",
// "traceback"}}; the steps after a failed one do not run.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PORT = path.join(HERE, 'wasm32', 'node_modules', '@micropython',
                       'micropython-webassembly-pyscript', 'micropython.mjs');

function copyTree(mp, source, target) {
    mp.FS.mkdirTree(target);
    for (const name of fs.readdirSync(source)) {
        const from = path.join(source, name);
        if (fs.statSync(from).isDirectory()) {
            if (name !== '__pycache__') copyTree(mp, from, target + '/' + name);
        } else {
            mp.FS.writeFile(target + '/' + name, fs.readFileSync(from));
        }
    }
}

const job = JSON.parse(fs.readFileSync(0, 'utf8'));
const { loadMicroPython } = await import(PORT);
let printed = [];
const collect = (line) => printed.push(line);
const mp = await loadMicroPython({ heapsize: job.heapsize || 1024 * 1024, stdout: collect,
                                   stderr: collect, linebuffer: true });
for (const [source, target] of job.trees || []) copyTree(mp, source, target);
mp.runPython('import sys\nsys.path[:0] = ' + JSON.stringify(job.path || []));

const result = { outputs: [], error: null };
for (const [index, code] of (job.steps || []).entries()) {
    printed = [];
    try {
        mp.runPython(code);
    } catch (error) {
        result.error = { step: index, type: error.type || error.name,
                         traceback: error.type ? error.message : String(error.stack) };
    }
    result.outputs.push(printed.join('\n'));
    if (result.error) break;
}
process.stdout.write(JSON.stringify(result) + '\n');
