# Convenience targets; CI runs .ci/run.
WASM_MODULE := target/wasm32-wasip1/release/souverain_wasm.wasm
KUBEWARDEN_MODULE := target/wasm32-wasip1/release/souverain_kubewarden.wasm

.PHONY: wasm32-target wasm kubewarden wasm-test test

wasm32-target:
	rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1

# The WASM module (wasm/souverain-wasm), for wasmtime hosts and embedding.
wasm: wasm32-target
	cargo build -p souverain-wasm --release --target wasm32-wasip1
	@echo "built $(WASM_MODULE)"

# The Kubewarden policy (wasm/souverain-kubewarden); `kwctl annotate` it with
# its metadata.yml before pushing it to a registry (docs/kubewarden.md).
kubewarden: wasm32-target
	cargo build -p souverain-kubewarden --release --target wasm32-wasip1
	@echo "built $(KUBEWARDEN_MODULE)"

# The module's reports equal the native ones byte for byte; the Kubewarden
# policy answers through a real waPC host as the native engine decides.
wasm-test: wasm kubewarden
	SOUVERAIN_WASM_MODULE=$(WASM_MODULE) SOUVERAIN_KUBEWARDEN_MODULE=$(KUBEWARDEN_MODULE) \
	  cargo test -p souverain -p souverain-kubewarden --features souverain/wasm-host \
	    --lib --test wasm_parity --test wapc_host

test:
	cargo test
