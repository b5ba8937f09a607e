# Sourced by bench/tls.sh, bench/ab.sh, bench/mlserver.sh and bench/batching.sh: wrk on two or
# more base URLs in turn, A B A B … (or A B C A B C …), posting $body to URL + $infer_path
# (default /v2/models/fraud/infer; batching.sh sets it empty and passes whole URLs), then the
# req/s ratio per round and its median of B, the one measured, against each of the others.
# $wrk_timeout (default 2s, wrk's own) is how long a request may take before wrk counts it an error.
#   interleave LABEL_A URL_A LABEL_B URL_B [LABEL_C URL_C …]   (uses $rounds $secs $conns $shared $body)
# Prints "LABEL RESULT …" per server and round, then one SUMMARY line per server other than B.
interleave() {
  local -a labels=() urls=() rps=()
  local i j r
  while (( $# >= 2 )); do labels+=("$1"); urls+=("$2"); shift 2; done
  (( $# == 0 && ${#labels[@]} >= 2 )) || { echo "interleave: LABEL URL pairs, two or more" >&2; return 2; }
  run() { wrk -t2 -c"$conns" -d"${secs}s" --timeout "${wrk_timeout:-2s}" -s "$shared/bench/post.lua" "$1${infer_path-/v2/models/fraud/infer}" -- "$body" | grep '^RESULT'; }
  for j in "${!urls[@]}"; do run "${urls[j]}" >/dev/null; done   # warm each
  for ((i = 0; i < rounds; i++)); do
    for j in "${!urls[@]}"; do
      r=$(run "${urls[j]}")
      echo "${labels[j]} $r"
      [[ $r == *"non2xx=0 sock_errors=0"* ]] || { echo "errors: $r" >&2; return 1; }
      rps[j]+="$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$r") "
    done
  done
  python3 - "${labels[@]}" -- "${rps[@]}" <<'PY'
import statistics as st, sys
cut = sys.argv.index("--")
labels, rps = sys.argv[1:cut], [[float(x) for x in s.split()] for s in sys.argv[cut + 1:]]
lb, b = labels[1], rps[1]
for la, a in zip(labels[:1] + labels[2:], rps[:1] + rps[2:]):
    ratios = [y / x for x, y in zip(a, b)]
    print(f"SUMMARY {lb}/{la} req/s ratio per round: {' '.join(f'{r:.2f}' for r in ratios)} (median {st.median(ratios):.2f}); "
          f"median req/s {la} {st.median(a):.0f}, {lb} {st.median(b):.0f}")
PY
}
