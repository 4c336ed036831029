#!/usr/bin/env bash
# quyhoach — offline workshop kit: serves the portal and its lessons from this laptop, with no
# internet; trainees join from their phones over the room's Wi-Fi.
#
#   ./start.sh [--listen ADDR:PORT] [--public-url http://HOST:PORT]
#
#   --listen      where to listen (default 0.0.0.0:8080: every network of this laptop)
#   --public-url  the address trainees use, put in the join links and QR codes
#                 (default: http://<this laptop's Wi-Fi/LAN address>:PORT)
#
# Works from any directory. Stop it with Ctrl+C. The kit's state (workshops, progress) is
# kept in workshop.sqlite beside this script.
set -euo pipefail

KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
BIN="$KIT/bin/quyhoach"
COMMUNE=@COMMUNE@
LISTEN="0.0.0.0:8080"
PUBLIC_URL=""

usage() { sed -n '5,9p' "$KIT/start.sh" | sed 's/^# \{0,1\}//'; }
die() { echo "start.sh: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --listen) [ $# -ge 2 ] || die "--listen needs ADDR:PORT, e.g. --listen 0.0.0.0:8080"; LISTEN="$2"; shift 2 ;;
    --listen=*) LISTEN="${1#--listen=}"; shift ;;
    --public-url) [ $# -ge 2 ] || die "--public-url needs http://HOST:PORT"; PUBLIC_URL="$2"; shift 2 ;;
    --public-url=*) PUBLIC_URL="${1#--public-url=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see ./start.sh --help)" ;;
  esac
done

case "$LISTEN" in
  *:*) ;;
  *) die "--listen takes ADDR:PORT (e.g. 0.0.0.0:8080), got '$LISTEN'" ;;
esac
PORT="${LISTEN##*:}"
HOST="${LISTEN%:*}"
case "$PORT" in
  ''|*[!0-9]*) die "--listen $LISTEN: the port must be a number" ;;
esac

# 1. The program's shared libraries (the kit is built for Debian 12).
if [ ! -x "$BIN" ]; then
  echo "start.sh: $BIN is missing or not executable; copy the whole kit directory again" >&2
  exit 3
fi
if command -v ldd >/dev/null 2>&1; then
  missing="$(ldd "$BIN" 2>/dev/null | awk '/=> not found/ {print $1}' | sort -u || true)"
  if [ -n "$missing" ]; then
    pkgs=""
    unknown=""
    for lib in $missing; do
      case "$lib" in
        libgdal.so.*) p=libgdal32 ;;
        libfreetype.so.*) p=libfreetype6 ;;
        libsqlite3.so.*) p=libsqlite3-0 ;;
        libproj.so.*) p=libproj25 ;;
        libgeos_c.so.*|libgeos.so.*) p=libgeos-c1v5 ;;
        libstdc++.so.*) p=libstdc++6 ;;
        libgcc_s.so.*) p=libgcc-s1 ;;
        libz.so.*) p=zlib1g ;;
        libpng16.so.*) p=libpng16-16 ;;
        *) p=""; unknown="$unknown $lib" ;;
      esac
      if [ -n "$p" ]; then
        case " $pkgs " in *" $p "*) ;; *) pkgs="$pkgs $p" ;; esac
      fi
    done
    {
      echo "Thiếu thư viện / missing shared libraries:$(printf ' %s' $missing)"
      echo
      if [ -n "$pkgs" ]; then
        echo "Cài trên Debian 12 / install on Debian 12 (needs the internet or a local mirror, once):"
        echo "    sudo apt-get install$pkgs"
      fi
      if [ -n "$unknown" ]; then
        echo "Không rõ gói / package not known for:$unknown (try: apt-file search <library>)"
      fi
      echo
      echo "Bộ này được đóng gói cho Debian 12 (bookworm) / this kit is built for Debian 12 (bookworm)."
    } >&2
    exit 3
  fi
fi

# 2. The kit's own state lives beside this script.
if [ ! -w "$KIT" ]; then
  echo "start.sh: $KIT is read-only (a USB stick or CD?); copy the kit directory to the laptop's disk first" >&2
  exit 3
fi

# 3. The addresses trainees type or scan.
lan_addresses() {
  local list=""
  if command -v ip >/dev/null 2>&1; then
    # "2: wlp2s0    inet 192.168.1.5/24 …": Wi-Fi first, then wired; no container bridges.
    list="$(ip -4 -o addr show scope global 2>/dev/null \
      | awk '{split($4, a, "/"); print $2, a[1]}' \
      | grep -Ev '^(docker|br-|virbr|veth|lxc|cni|flannel|podman)' \
      | awk '{print ($1 ~ /^wl/ ? 0 : 1), $2}' | sort -s -k1,1n | awk '{print $2}' || true)"
  fi
  if [ -z "$list" ] && command -v hostname >/dev/null 2>&1; then
    list="$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' || true)"
  fi
  printf '%s\n' "$list" | sed '/^$/d'
}

case "$HOST" in
  ''|0.0.0.0|'[::]'|'::') ADDRS="$(lan_addresses)"; WILDCARD=1 ;;
  *) ADDRS="${HOST#[}"; ADDRS="${ADDRS%]}"; WILDCARD=0 ;;
esac
if [ -z "$PUBLIC_URL" ] && [ "$WILDCARD" = 1 ] && [ -n "$ADDRS" ]; then
  PUBLIC_URL="http://$(printf '%s\n' "$ADDRS" | head -n 1):$PORT"
fi

echo "quyhoach — bộ hội thảo ngoại tuyến / offline workshop kit"
echo "  Khu vực / area: $COMMUNE"
if [ -n "$ADDRS" ]; then
  first=""
  for a in $ADDRS; do
    case "$a" in *:*) url="http://[$a]:$PORT" ;; *) url="http://$a:$PORT" ;; esac
    [ -n "$first" ] || first="$url"
    echo "  Học viên mở / trainees open:       $url/#/learn"
  done
  base="${PUBLIC_URL:-$first}"
  echo "  Giảng viên / trainer (this laptop): $base/#/workshop  → mã hội thảo + mã QR / workshop code + QR"
  echo "  Học viên vào lớp / trainees join:   $base/#/join/MÃ-CODE   (quét mã QR / scan the QR)"
  case "$HOST" in
    127.*|localhost|'[::1]')
      echo "  Chú ý / note: $HOST chỉ máy này vào được / only this laptop can reach $HOST;"
      echo "      cho học viên: ./start.sh --listen 0.0.0.0:$PORT / for trainees: ./start.sh --listen 0.0.0.0:$PORT" ;;
  esac
else
  echo "  Chưa có mạng Wi-Fi/LAN / no Wi-Fi or LAN address yet: connect the laptop to the room's"
  echo "  Wi-Fi (or start a hotspot), then run ./start.sh again. This laptop: http://127.0.0.1:$PORT/"
fi
echo "  Dừng / stop: Ctrl+C"
echo

# 4. Serve: the kit's store, database, lessons, web app and fonts, nothing from elsewhere.
for v in $(env | sed -n 's/^\(QUYHOACH_[A-Z_]*\)=.*/\1/p'); do
  [ "$v" = QUYHOACH_LOG ] || unset "$v"
done
export QUYHOACH_WEB_DIR="$KIT/web"
args=(serve --store "$KIT/store" --listen "$LISTEN" --db "$KIT/workshop.sqlite"
  --lessons "$KIT/lessons" --fonts-dir "$KIT/fonts" --quiet)
if [ -n "$PUBLIC_URL" ]; then
  args+=(--public-url "$PUBLIC_URL")
fi
exec "$BIN" "${args[@]}"
