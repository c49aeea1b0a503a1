#!/usr/bin/env bash
# host-routing.sh for host-a: the Linux twin of setup-routing.ps1, made from the same route plan.
# Run as root on a Linux host whose "WSL2" sits behind it on a NATed link (the flatnet lab), at every start.
# Rendered by flatnet-automation from hosts/; re-render instead of editing.
#
# What it sets, and nothing more:
#   - IPv4 forwarding, now and persistently;
#   - host-a's routed block 10.101.1.0/24 -> WSL2's current address (a stale route is replaced).
# The overlay 10.100.0.0/16 and the other hosts' blocks are NOT routed here: Nebula owns them (its
# interface route and tun.unsafe_routes). Routing the overlay to WSL2, as the spec's sketch does with
# `route add 10.100.0.0 mask 255.255.0.0 $wslIp`, would fight Nebula's own route and cut this host off.
#
# Usage: host-routing.sh [--wsl-ip ADDR] [--check] [--watch [--interval SECONDS]] | --remove
#   --wsl-ip ADDR  WSL2's current address; without it, the first address printed by $FLATNET_WSL_QUERY
#                  (a command like `wsl.exe hostname -I`) that is not inside 10.101.1.0/24
#   --check        change nothing; exit 1 if anything is missing
#   --watch        apply once, then keep one watcher running in the background that re-applies every
#                  --interval seconds (default 5), so the route follows WSL2 to its new address after a
#                  restart (pid in /opt/flatnet/run/host-routing.pid, log in /opt/flatnet/logs/routing.log)
#   --remove       undo it (RemoveHost): stop the watcher, delete the block's route and flatnet's sysctl.d file;
#                  forwarding stays on until the next boot, as other programs may rely on it
# Idempotent: a second run changes nothing. FLATNET_ETC (default /etc) is where sysctl.d lives.
set -eu

OWN_BLOCK='10.101.1.0/24'
ETC="${FLATNET_ETC:-/etc}"
persist="$ETC/sysctl.d/60-flatnet.conf"

check=0
wsl_ip=""
watch=0
remove=0
loop=0
interval=5
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --watch) watch=1 ;;
    --remove) remove=1 ;;
    --watch-loop) loop=1 ;;
    --interval) [ $# -ge 2 ] || { echo "host-routing.sh: --interval needs seconds" >&2; exit 2; }; interval=$2; shift ;;
    --wsl-ip) [ $# -ge 2 ] || { echo "host-routing.sh: --wsl-ip needs an address" >&2; exit 2; }; wsl_ip=$2; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "host-routing.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# Shared by the routing scripts: every change goes through step, so --check can list it instead.
die() { echo "$(basename "$0"): $*" >&2; exit 1; }
changed=0
missing=0
step() {  # step DESCRIPTION COMMAND...: run (or, with --check, only report) one change
  desc=$1; shift
  if [ "$check" = 1 ]; then echo "missing: $desc"; missing=1; return 0; fi
  echo "set: $desc"
  "$@"
  changed=1
}

alive() {  # alive PID: running, and not a zombie (kill -0 succeeds on a dead process nobody has reaped yet)
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
ours() {  # ours PID PATTERN: alive, running as this account or root, and its command line holds PATTERN (a pid file
          # that outlived a reboot may name any process by now, another account's too: it is never signalled for that)
  alive "$1" && _pid_owner=$(stat -c %u "/proc/$1" 2>/dev/null) && { [ "$_pid_owner" = "$(id -u)" ] || [ "$_pid_owner" = 0 ]; } \
    && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}
pid_in() {  # pid_in FILE: the pid a pid file of flatnet's holds; nothing for anything else (a link, a FIFO, words)
  if [ -f "$1" ] && [ ! -L "$1" ]; then head -c 32 -- "$1" | awk 'NR == 1 && /^[1-9][0-9]*$/ && length($0) <= 10 { print }'; fi
}
put_pid() {  # put_pid FILE PID: a new file moved into place, never one found there written through (a link is replaced)
  _pid_tmp=$(mktemp "$1.XXXXXX") && printf '%s\n' "$2" >"$_pid_tmp" && mv -f "$_pid_tmp" "$1"
}

[ "$(id -u)" = 0 ] || die "run as root: sudo $0"

# WSL2 also carries its stable address from OWN_BLOCK: an address inside the block is never the one to route to.
in_net() {  # in_net ADDR CIDR: is ADDR inside CIDR?
  awk -v ip="$1" -v net="$2" 'function n(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
    BEGIN { split(net, c, "/"); if (c[2] == "") c[2] = 32; size = 2 ^ (32 - c[2]); base = int(n(c[1]) / size) * size; x = n(ip); exit !(x >= base && x < base + size) }'
}

# WSL2's current address: --wsl-ip, or asked from WSL2 itself (its stable address skipped).
find_wsl_ip() {
  if [ -n "$fixed_ip" ]; then echo "$fixed_ip"; return 0; fi
  for a in $(sh -c "$FLATNET_WSL_QUERY" 2>/dev/null); do
    case "$a" in *.*.*.*) in_net "$a" "$OWN_BLOCK" || { echo "$a"; return 0; } ;; esac
  done
  return 1
}

apply() {
  [ -n "$fixed_ip" ] || [ -n "${FLATNET_WSL_QUERY:-}" ] || die "WSL2's address is unknown: pass --wsl-ip ADDR or set FLATNET_WSL_QUERY"
  wsl_ip=$(find_wsl_ip) || die "'$FLATNET_WSL_QUERY' printed no address outside $OWN_BLOCK; is WSL2 running?"
  case "$wsl_ip" in *.*.*.*) ;; *) die "'$wsl_ip' is not an IPv4 address" ;; esac
  in_net "$wsl_ip" "$OWN_BLOCK" && die "$wsl_ip is inside $OWN_BLOCK: that is WSL2's stable address, not the one to route to"

  if [ "$(sysctl -n net.ipv4.ip_forward)" != 1 ]; then
    step "net.ipv4.ip_forward = 1 (now)" sysctl -q -w net.ipv4.ip_forward=1
  fi
  if [ "$(cat "$persist" 2>/dev/null)" != "net.ipv4.ip_forward = 1" ]; then
    step "net.ipv4.ip_forward = 1 in $persist (after reboot)" sh -c 'mkdir -p "$(dirname "$1")" && echo "net.ipv4.ip_forward = 1" >"$1"' sh "$persist"
  fi

  have=$(ip -4 route show exact "$OWN_BLOCK" | head -n 1)
  case "$have" in
    "$OWN_BLOCK via $wsl_ip "*|"$OWN_BLOCK via $wsl_ip") ;;
    *) step "route $OWN_BLOCK via $wsl_ip${have:+ (was: $have)}" ip route replace "$OWN_BLOCK" via "$wsl_ip" ;;
  esac
}

fixed_ip=$wsl_ip
PIDFILE='/opt/flatnet'/run/host-routing.pid

if [ "$remove" = 1 ]; then
  # What apply() and --watch set, and nothing else. The watcher goes first, or it would put the route back.
  # Its whole process group (setsid made it the leader): a pass caught half-way, in a subshell of its own, would
  # otherwise live on and put the route back after it is deleted below. Gone before anything else is.
  pid=$(pid_in "$PIDFILE")
  if ours "$pid" "host-routing.sh --watch-loop"; then
    kill -- "-$pid" 2>/dev/null || kill "$pid"
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.25; done
    echo "removed: the routing watcher (pid $pid)"; changed=1
  fi
  rm -f "$PIDFILE"
  if [ -n "$(ip -4 route show exact "$OWN_BLOCK")" ]; then
    ip route del "$OWN_BLOCK"; echo "removed: route $OWN_BLOCK"; changed=1
  fi
  if [ "$(cat "$persist" 2>/dev/null)" = "net.ipv4.ip_forward = 1" ]; then
    rm -f "$persist"; echo "removed: $persist (forwarding stays on until the next boot; other programs may rely on it)"; changed=1
  fi
  [ "$changed" = 0 ] && echo "nothing to remove: host routing for host-a is not in place"
  exit 0
fi

if [ "$loop" = 1 ]; then
  # The background watcher: re-apply every $interval seconds; report only what changed, with the time.
  while :; do
    changed=0
    out=$( (apply) 2>&1 ) || true
    [ -n "$out" ] && printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$out"
    sleep "$interval"
  done
fi

apply
if [ "$check" = 1 ]; then
  [ "$missing" = 0 ] && echo "ok: host routing for host-a is in place" && exit 0
  exit 1
fi
[ "$changed" = 0 ] && echo "unchanged: host routing for host-a was already in place"
if [ "$watch" = 1 ]; then
  pid=$(pid_in "$PIDFILE")
  if ours "$pid" "host-routing.sh --watch-loop"; then
    echo "watching: already (pid $pid)"
  else
    mkdir -p "$(dirname "$PIDFILE")" '/opt/flatnet/logs'
    setsid bash "$0" --watch-loop --interval "$interval" ${fixed_ip:+--wsl-ip "$fixed_ip"} >>'/opt/flatnet/logs'/routing.log 2>&1 </dev/null &
    put_pid "$PIDFILE" $!
    echo "watching: every ${interval}s (pid $!), log in /opt/flatnet/logs/routing.log"
  fi
fi
exit 0
