# Shared settings for the host scripts; sourced, not run.
# Everything built or downloaded lives under LANA_CACHE, outside the work tree.
: "${LANA_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/lana-rs}"
LANA_RUST=1.95.0
LANA_BINDGEN=0.73.2
LANA_VNG=1.42
LANA_CARGO_BIN="$LANA_CACHE/cargo/bin"
# Kbuild runs rustc from the kernel's directory, where no rust-toolchain.toml
# applies: name the toolchain explicitly for the kernel and the module alike.
export RUSTUP_TOOLCHAIN="$LANA_RUST"
export PATH="$LANA_CARGO_BIN:$PATH"
export LANA_CACHE
mkdir -p "$LANA_CACHE"
