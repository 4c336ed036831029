# Sourced by the setup scripts: installs Debian packages that are missing.
# apt sometimes fails mid-install on these machines, so it retries once.
ensure_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  local attempt
  for attempt in 1 2; do
    if $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null; then
      return 0
    fi
    [ "$attempt" -eq 2 ] && { echo "apt-get failed twice" >&2; return 1; }
    sleep 5
  done
}
