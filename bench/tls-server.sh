# Sourced by bench/tls.sh and bench/fairness.sh: starts $bin with a cleartext listener on $port
# and a TLS one on $tport, with a throw-away self-signed certificate in a fresh folder $dir, and
# returns once the TLS listener answers. `stop_tls_server` (for the caller's EXIT trap) stops it
# and removes $dir.
#   start_tls_server   (uses $bin $port $tport; sets $dir $spid)
start_tls_server() {
  dir=$(mktemp -d)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
  printf 'tls: {port: %d, cert: %s, key: %s}\n' "$tport" "$dir/tls.crt" "$dir/tls.key" > "$dir/sluice.yaml"
  $bin serve --config "$dir/sluice.yaml" --host 127.0.0.1 --port "$port" --models models --log-level warning & spid=$!
  for _ in $(seq 1000); do curl -fsk -o /dev/null "https://127.0.0.1:$tport/v2/health/ready" && break; sleep 0.01; done
}

stop_tls_server() {
  [[ -n ${spid:-} ]] && kill "$spid" 2>/dev/null
  [[ -n ${dir:-} ]] && rm -rf "$dir"
  return 0
}
