#!/usr/bin/env bash
# npm test's pretest step: the system packages the tests use (a real redis-server; Debian's
# chromium for the dashboard's browser test). Missing ones are installed with apt-get when this
# user can (root, or sudo without a password); otherwise it stops at once, naming the command.
set -u
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get update && apt-get install -y ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs ${missing[*]} (redis-server 7 and Chromium at /usr/bin/chromium); install them, then run npm test again." >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""
elif sudo -n true 2>/dev/null; then sudo="sudo"
else
  echo "npm test needs ${missing[*]}. Run: sudo sh -c '$command'" >&2
  exit 1
fi
echo "npm test: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"; }
