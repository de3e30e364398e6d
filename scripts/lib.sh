# Shared by the scripts: a quiet `swift build` that shows the compiler's errors when it fails.
swift_build() {
  local log
  log="$(mktemp)"
  if swift build "$@" >"$log" 2>&1; then
    tail -n 1 "$log"
    rm -f "$log"
  else
    grep -E 'error:|warning: .*(Shared|Services|Tools|Tests)/' "$log" | sort -u | head -n 40 || tail -n 40 "$log"
    rm -f "$log"
    echo "build failed" >&2
    return 1
  fi
}
