"""Evaluates bench/opa/souverain.rego on a plan with OPA (the Go engine,
through opa-golib-python-bindings), as bench/compare.sh runs it: the whole
process is measured; the parse and evaluation times go to standard error."""

import json
import pathlib
import sys
import time

from opa_bindings import OpaEngine

started = time.perf_counter()
plan = json.loads(pathlib.Path(sys.argv[1]).read_bytes())
parsed = time.perf_counter()
engine = OpaEngine()
policy = pathlib.Path(__file__).with_name("souverain.rego")
engine.add_policy("souverain.rego", policy.read_text())
deny = engine.eval_document("souverain.deny", plan)
evaluated = time.perf_counter()
print(f"{len(deny)} denials")
print(
    f"json.load {1000 * (parsed - started):.0f} ms, OPA eval {1000 * (evaluated - parsed):.0f} ms",
    file=sys.stderr,
)
sys.exit(1 if deny else 0)
