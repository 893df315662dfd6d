#!/usr/bin/env bash
# trufflehog3 (PyPI) for crates/keyseal-cli/tests/scan_rules.rs, which runs it on planted
# keys with the rule `keyseal scan --rules trufflehog3` prints (it fails under CI=true
# without it).
set -euo pipefail
if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update && apt-get install -y --no-install-recommends python3-venv
fi
python3 -m venv /opt/trufflehog3
/opt/trufflehog3/bin/pip install --quiet trufflehog3==3.0.10
ln -sf /opt/trufflehog3/bin/trufflehog3 /usr/local/bin/trufflehog3
