#!/usr/bin/env bash
# Installs what the test suites need and the machine may lack, or says in one line what to install.
set -euo pipefail
need_apt=()
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v curl >/dev/null || need_apt+=(curl)
command -v redis-server >/dev/null || need_apt+=(redis-server)
# Coverage (rust-test.sh) needs LLVM's tools of the compiler's own LLVM version.
llvm=$(rustc -vV | sed -n 's/^LLVM version: \([0-9]*\).*/\1/p')
[ -x "/usr/bin/llvm-profdata-$llvm" ] || need_apt+=("llvm-$llvm")
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need_apt[*]} (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing test dependency: install ${need_apt[*]} (apt-get install -y ${need_apt[*]})" >&2
    exit 1
  fi
fi
command -v cargo >/dev/null || { echo "missing test dependency: the Rust toolchain (rustup)" >&2; exit 1; }
command -v cargo-llvm-cov >/dev/null || cargo install --locked cargo-llvm-cov@0.9.1
