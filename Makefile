# Convenience targets; CI runs .ci/run.
WASM_MODULE := target/wasm32-wasip1/release/souverain_wasm.wasm

.PHONY: wasm wasm-parity test

# The WASM module (wasm/souverain-wasm), for wasmtime hosts and embedding.
wasm:
	rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
	cargo build -p souverain-wasm --release --target wasm32-wasip1
	@echo "built $(WASM_MODULE)"

# The module's reports must equal the native ones, byte for byte.
wasm-parity: wasm
	SOUVERAIN_WASM_MODULE=$(WASM_MODULE) cargo test --features wasm-host --test wasm_parity

test:
	cargo test
