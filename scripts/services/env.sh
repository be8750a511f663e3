#!/usr/bin/env bash
# Print the KEY=VALUE lines of the services that start.sh registered and that are still running.
#   eval "$(scripts/services/env.sh --export)"     # or:  export $(scripts/services/env.sh)
set -euo pipefail

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/lib.sh"

prefix=
case "${1:-}" in
    --export) prefix="export " ;;
    "") ;;
    *) die "usage: env.sh [--export]" ;;
esac
[ -d "$STATE" ] || exit 0
pick_python
for n in "${ALL_SERVICES[@]}"; do
    [ -f "$STATE/$n.env" ] || continue
    if service_alive "$n"; then
        while IFS= read -r line; do
            if [ -n "$line" ]; then printf '%s%s\n' "$prefix" "$line"; fi
        done <"$STATE/$n.env"
    else
        log "$n: registered but not running (run scripts/services/start.sh $n)"
    fi
done
