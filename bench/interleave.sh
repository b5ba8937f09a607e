# Sourced by bench/tls.sh and bench/ab.sh: wrk on two base URLs in turn, A B A B …, posting
# $body to /v2/models/fraud/infer, then the B/A req/s ratio per round and its median.
#   interleave LABEL_A URL_A LABEL_B URL_B      (uses $rounds $secs $conns $shared $body)
interleave() {
  local la=$1 ua=$2 lb=$3 ub=$4 ra rb
  local -a a_rps=() b_rps=()
  run() { wrk -t2 -c"$conns" -d"${secs}s" -s "$shared/bench/post.lua" "$1/v2/models/fraud/infer" -- "$body" | grep '^RESULT'; }
  run "$ua" >/dev/null; run "$ub" >/dev/null   # warm both
  for ((i = 0; i < rounds; i++)); do
    ra=$(run "$ua"); rb=$(run "$ub")
    echo "$la $ra"; echo "$lb $rb"
    for r in "$ra" "$rb"; do [[ $r == *"non2xx=0 sock_errors=0"* ]] || { echo "errors: $r" >&2; return 1; }; done
    a_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$ra")"); b_rps+=("$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$rb")")
  done
  python3 - "$la" "$lb" "${a_rps[*]}" "${b_rps[*]}" <<'PY'
import statistics as st, sys
la, lb = sys.argv[1:3]
a, b = ([float(x) for x in s.split()] for s in sys.argv[3:5])
ratios = [y / x for x, y in zip(a, b)]
print(f"SUMMARY {lb}/{la} req/s ratio per round: {' '.join(f'{r:.2f}' for r in ratios)} (median {st.median(ratios):.2f}); "
      f"median req/s {la} {st.median(a):.0f}, {lb} {st.median(b):.0f}")
PY
}
