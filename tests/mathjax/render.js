// Render TeX formulas with MathJax (mathjax-full), headless and offline; report every error.
//
// Reads a JSON list [{"key": ..., "tex": ..., "display": true|false}, ...] on stdin and
// writes a JSON list [{"key": ..., "error": "..."}] of the formulas that failed. Used by
// tests/test_mathjax.py. Stricter than a reader's Jupyter on purpose: without the
// "noerrors" and "noundefined" packages, a parse error or an unknown macro raises instead
// of being shown in red.
"use strict";

const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

const adaptor = liteAdaptor();
RegisterHTMLHandler(adaptor);

const packages = AllPackages.filter((p) => p !== "noerrors" && p !== "noundefined");
const tex = new TeX({
  packages,
  formatError: (jax, err) => {
    throw err;
  },
});
const svg = new SVG({ fontCache: "none" });
const html = mathjax.document("", { InputJax: tex, OutputJax: svg });

const input = require("fs").readFileSync(0, "utf8");
const formulas = JSON.parse(input);
const failures = [];
for (const f of formulas) {
  try {
    const node = html.convert(f.tex, { display: Boolean(f.display) });
    const out = adaptor.outerHTML(node);
    if (out.includes("data-mjx-error") || out.includes("merror")) {
      failures.push({ key: f.key, error: "MathJax rendered an error node" });
    }
  } catch (err) {
    failures.push({ key: f.key, error: String((err && err.message) || err) });
  }
}
process.stdout.write(JSON.stringify({ rendered: formulas.length, failures }));
