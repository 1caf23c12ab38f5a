#!/usr/bin/env bash
# Installs the real programs whose checkers the test suite runs on generated
# service configuration (promtool, amtool, mosquitto, cloud-init, named-checkzone,
# ansible-inventory, shellcheck). Needs Debian's apt and root; elsewhere it says
# what to install and leaves the tests to skip those checks (CI fails instead).
set -euo pipefail

packages=(prometheus prometheus-alertmanager mosquitto cloud-init bind9-utils ansible shellcheck)
commands=(promtool amtool mosquitto cloud-init named-checkzone ansible-inventory shellcheck)

missing=()
for i in "${!commands[@]}"; do
  command -v "${commands[$i]}" >/dev/null 2>&1 || [ -x "/usr/sbin/${commands[$i]}" ] || missing+=("${packages[$i]}")
done
[ ${#missing[@]} -eq 0 ] && { echo "checkers: all present"; exit 0; }

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "checkers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "checkers: missing ${missing[*]}; install them with apt (as root) to run every check locally" >&2
fi
