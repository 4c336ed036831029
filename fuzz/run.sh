#!/usr/bin/env bash
# Runs one fuzz target for SECONDS (default 600) on its committed corpus, niced, with its
# dictionary when there is one; crashes land in fuzz/artifacts/<target>/.
#   bash fuzz/run.sh <target> [seconds] [extra libFuzzer flags...]
set -euo pipefail
cd "$(dirname "$0")"
t=$1
secs=${2:-600}
shift $(( $# < 2 ? $# : 2 ))
dict=()
[[ -f dicts/$t.dict ]] && dict=(-dict="dicts/$t.dict")
mkdir -p "artifacts/$t" "corpus/$t"
# The built web app, when there is one, so that `GET /` renders its page (taps, pictures).
[[ -f ../web/dist/index.html ]] && export QUYHOACH_WEB_DIR=$PWD/../web/dist
RUSTC_BOOTSTRAP=1 nice -n 10 cargo fuzz run -s none "$t" "corpus/$t" -- \
  -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="artifacts/$t/" "${dict[@]}" "$@"
