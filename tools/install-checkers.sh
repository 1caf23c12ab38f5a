#!/usr/bin/env bash
# Installs the real programs whose checkers the test suite runs on generated
# service configuration. It says what it will install before it does, and runs
# apt only where it can (root, with apt-get); elsewhere it lists the checks that
# will be skipped and the command that installs them, and exits 0: the tests
# skip what is missing (CI, with CI set, fails instead).
# Usage: bash tools/install-checkers.sh [--dry-run]
set -euo pipefail

dry_run=false
[ "${1:-}" = "--dry-run" ] && dry_run=true

# command, Debian package, what the tests check with it
checkers=(
  "promtool|prometheus|Prometheus configuration and alert rules"
  "amtool|prometheus-alertmanager|Alertmanager configuration"
  "mosquitto|mosquitto|Mosquitto configuration"
  "cloud-init|cloud-init|cloud-init user-data schemas"
  "named-checkzone|bind9-utils|CoreDNS zone files"
  "ansible-inventory|ansible|the Ansible inventory scripts"
  "shellcheck|shellcheck|generated shell scripts"
  "/usr/lib/systemd/systemd-journal-upload|systemd-journal-remote|journal upload to the log receiver"
)

missing_packages=()
missing_lines=()
for entry in "${checkers[@]}"; do
  IFS='|' read -r command package purpose <<<"$entry"
  if ! command -v "$command" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command" ]; then
    missing_packages+=("$package")
    missing_lines+=("  $command ($package): $purpose")
  fi
done

if [ ${#missing_packages[@]} -eq 0 ]; then
  echo "checkers: all present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "checkers: installing with apt-get: ${missing_packages[*]}"
  printf '%s\n' "${missing_lines[@]}"
  $dry_run && exit 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  echo "checkers: installed"
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  how="sudo apt-get install --no-install-recommends ${missing_packages[*]}"
else
  how="your package manager (Debian names: ${missing_packages[*]})"
fi
{
  echo "checkers: not installing (needs root and apt-get); these checks will be skipped:"
  printf '%s\n' "${missing_lines[@]}"
  echo "checkers: to run them, install with: $how"
} >&2
