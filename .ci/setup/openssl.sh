#!/usr/bin/env bash
# The openssl command, for tests/openssl_interop.rs (OpenSSL 3: `pkeyutl -rawin`).
# Installed with apt-get only when missing.
set -euo pipefail
if command -v openssl >/dev/null 2>&1; then
    openssl version
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends openssl
openssl version
