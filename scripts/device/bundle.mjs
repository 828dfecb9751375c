// esbuild driver for bundle.sh: one ESM file, onnxruntime-node loaded at run time from
// $ORT_NODE_DIR (the GPU machine's onnxruntime-node with its CUDA provider, see
// ../shared/device/README.md); CommonJS dependencies get a `require` through createRequire.
import { build } from "esbuild";

const [entry, outfile] = process.argv.slice(2);

/** `import ort from "onnxruntime-node"` -> require($ORT_NODE_DIR), failing with one clear line. */
const ortFromEnv = {
  name: "onnxruntime-node-from-env",
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-node$/ }, () => ({ path: "onnxruntime-node", namespace: "ort-env" }));
    b.onLoad({ filter: /.*/, namespace: "ort-env" }, () => ({
      loader: "js",
      contents: `
        import { createRequire } from "node:module";
        const dir = process.env.ORT_NODE_DIR;
        if (!dir) throw new Error("ORT_NODE_DIR is not set: point it at an onnxruntime-node 1.29.0 folder (on the GPU machine: source .device-carry/d/setup.sh)");
        const ort = createRequire(import.meta.url)(dir);
        export default ort;
      `,
    }));
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["ptune-source"], // bundle the TypeScript sources of @ptune/*, not their dist/
  minify: false, // readable stack traces from the device machine; the bundle stays ~2 MiB
  legalComments: "none",
  plugins: [ortFromEnv],
  banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
  logLevel: "warning",
});
