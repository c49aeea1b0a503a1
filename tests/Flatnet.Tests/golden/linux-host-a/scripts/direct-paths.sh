#!/usr/bin/env bash
# direct-paths.sh for host-a: moves this host's relayed tunnels to direct ones, by itself, between flatnet's runs.
# Rendered by flatnet-automation; the Linux twin of direct-paths.ps1. install.sh starts it with --watch.
#
# Why: Nebula keeps a relayed tunnel once it has one, though the two hosts could reach each other directly (behind
# cone NAT, or a NAT host and a LAN host): every byte then crosses the lighthouse. Every 30 seconds, on the
# clock (so that both ends of a tunnel act in the same second), the watcher asks this host's Nebula for its tunnels,
# closes the relayed ones on this side and pings through them: both ends' first packets open their NATs for each
# other, and the handshakes that follow go direct. Where they cannot (symmetric NAT), the relay carries the tunnel
# again within a second, and the next try for that peer waits twice as long (up to 7680 s).
# It talks only to Nebula's admin interface on 127.0.0.1, with a key made on this host at install.
#
# Usage: direct-paths.sh --status | --once | --watch | --remove
#   --status   this host's tunnels now, as its Nebula says: peer, then "direct ADDR:PORT" or "relayed via RELAY"
#   --once     one pass now, whatever the clock
#   --watch    keep one watcher running in the background (pid in /opt/flatnet/run/direct-paths.pid,
#              log in /opt/flatnet/logs/direct-paths.log: only what it moved, with the time)
#   --remove   stop the watcher (uninstall.sh runs it)
set -euf -o pipefail   # -f: no word below is ever a glob

ROOT='/opt/flatnet'
LOGS='/opt/flatnet/logs'
KEY='/opt/flatnet/config/nebula/watcher_ed25519'
KNOWN='/opt/flatnet/config/nebula/watcher_known_hosts'
PORT=2222
USER_NAME='flatnet-watcher'
INTERVAL=30
MAX_DOUBLINGS=8
PIDFILE="$ROOT/run/direct-paths.pid"
STATE="$ROOT/run/direct-paths.state"

mode=""
while [ $# -gt 0 ]; do
  case "$1" in
    --status|--once|--watch|--remove|--watch-loop) mode=${1#--} ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "direct-paths.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$mode" ] || { echo "direct-paths.sh: say --status, --once, --watch or --remove (try --help)" >&2; exit 2; }

die() { echo "direct-paths.sh: $*" >&2; exit 1; }
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
# The watcher's pid counts only while that process is root's and this script's loop (ours).
watcher() { pid=$(pid_in "$PIDFILE"); ours "$pid" "direct-paths.sh --watch-loop"; }

# One command to this host's Nebula (its sshd, 127.0.0.1 only); its host key pinned in KNOWN at install. Never more
# than 15 s: a hung ssh would stop the watcher for good.
limit=""
command -v timeout >/dev/null && limit="timeout 15"
admin() {
  $limit ssh -n -T -F /dev/null -i "$KEY" -p "$PORT" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$KNOWN" -o GlobalKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR \
    "$USER_NAME@127.0.0.1" "$@" </dev/null
}

# "PEER direct ADDR:PORT" or "PEER relayed via RELAY", one line a tunnel, from list-hostmap -pretty: Nebula's
# ControlHostInfo (control.go), objects at four spaces, their fields at eight. The peer is vpnIp up to 1.9, vpnAddrs
# from 1.10; currentRemote is an object up to 1.9 and a string from 1.10, and names no address when relayed.
tunnels() {
  # Nebula's sshd exits 0 whatever it answers: only a JSON array is an answer.
  map=$(admin list-hostmap -pretty 2>/dev/null) || return 1
  case "$map" in "["*) ;; *) return 1 ;; esac
  printf '%s\n' "$map" | awk '
    function val(s) { sub(/^[^:]*: */, "", s); sub(/,$/, "", s); gsub(/"/, "", s); return s }
    /^    [{]/ { peer = ""; remote = ""; rip = ""; relays = ""; field = ""; next }
    /^    [}]/ {
      if (peer !~ /^[0-9A-Fa-f.:]+$/) next  # only an address is ever a word of a command below
      if (remote ~ /^[0-9.]+:[0-9]+$/ && remote !~ /^0\.0\.0\.0:/ || remote ~ /^\[.*\]:[0-9]+$/) print peer, "direct", remote
      else if (relays != "") print peer, "relayed via", relays
      next
    }
    /^        "/ {
      field = $0; sub(/^ *"/, "", field); sub(/".*/, "", field); v = val($0)
      if (field == "vpnIp") peer = v
      else if (field == "currentRemote" && v != "{" && v != "null") remote = v
      next
    }
    /^            [^ ]/ {
      v = $0; sub(/^ */, "", v); sub(/,$/, "", v)
      if (field == "vpnAddrs" && peer == "") { gsub(/"/, "", v); peer = v }
      else if (field == "currentRelaysToMe") { gsub(/"/, "", v); relays = relays (relays == "" ? "" : ",") v }
      else if (field == "currentRemote") { if (v ~ /^"ip"/) rip = val(v); else if (v ~ /^"port"/) remote = (rip ~ /:/ ? "[" rip "]" : rip) ":" val(v) }
    }'
}

# Peers tried before and still relayed: "PEER FAILURES"; a peer is tried when the slot number is a multiple of
# 2^FAILURES (both ends count the same tries, so they stay in step; kept across restarts). A tunnel gone is forgotten.
# Read only from a plain file of the watcher's own, as a decimal number (08 is 8, never octal): anything else is 0
# (no {m,n} in patterns: mawk, Debian's awk, has none).
failures() {
  if [ ! -f "$STATE" ] || [ -L "$STATE" ]; then echo 0; return; fi
  # awk reads all of it: an early exit would end head with SIGPIPE, a failure under pipefail.
  head -c 65536 -- "$STATE" | awk -v p="$1" -v max="$MAX_DOUBLINGS" \
    '!found && $1 == p && $2 ~ /^[0-9]+$/ && length($2) <= 3 && $2 + 0 <= max { print $2 + 0; found = 1 } END { if (!found) print 0 }' || true
}

pass() {  # pass SLOT: one look, and one try for each relayed peer that is due
  slot=$1
  now=$(tunnels) || { echo "Nebula's admin interface did not answer (is Nebula running?)"; return 0; }
  # Once each: a host with two addresses is listed once per address (1.10+).
  relayed=$(printf '%s\n' "$now" | awk '$2 == "relayed" && !seen[$1]++ { print $1 }')
  due=""
  for peer in $relayed; do
    f=$(failures "$peer")
    [ $(( slot % (1 << f) )) = 0 ] && due="$due $peer"
  done
  next_state=""
  if [ -n "$due" ]; then
    for peer in $due; do admin close-tunnel -local-only "$peer" >/dev/null 2>&1 || true; done
    for peer in $due; do ping -c 3 -i 0.2 -W 1 -q -- "$peer" >/dev/null 2>&1 & done
    wait
    sleep 1
    after=$(tunnels) || after=""
    for peer in $due; do
      # awk reads all of it (an early exit would leave printf writing into a closed pipe, fatal with pipefail).
      state=$(printf '%s\n' "$after" | awk -v p="$peer" '$1 == p && !done { $1 = ""; sub(/^ /, ""); print; done = 1 }')
      case "$state" in
        direct*) echo "$peer: direct now ($state), was relayed" ;;
        *) f=$(( $(failures "$peer") + 1 )); [ "$f" -le "$MAX_DOUBLINGS" ] || f=$MAX_DOUBLINGS
           echo "$peer: still ${state:-without a tunnel} after a direct try; next try in $(( INTERVAL << f )) s or less"
           next_state="$next_state$peer $f
" ;;
      esac
    done
  fi
  # Peers not tried this time keep their count while they stay relayed.
  for peer in $relayed; do
    case " $due " in *" $peer "*) ;; *) next_state="$next_state$peer $(failures "$peer")
" ;; esac
  done
  # A new file of its own, never one found at the place (a link there is replaced, not followed).
  tmp=$(mktemp "$ROOT/run/.direct-paths.state.XXXXXX") && printf '%s' "$next_state" >"$tmp" && mv -f "$tmp" "$STATE"
}

case "$mode" in
  status)
    out=$(tunnels) || die "Nebula's admin interface on 127.0.0.1:$PORT did not answer: is Nebula running? (its log: $LOGS/nebula.log)"
    [ -n "$out" ] && printf '%s\n' "$out" || echo "no tunnels"
    ;;
  once) pass 0 ;;
  watch-loop)
    last=""
    while :; do
      # The next slot, named before the sleep (a clock set back a little must not make it the one before), then
      # slept to, to the millisecond where date has them (GNU date's %N).
      # shellcheck disable=SC2046 # two words: the slot and the seconds to it
      set -- $(date +%s.%N | awk -v i="$INTERVAL" '{ s = int($1 / i) + 1; if (s * i - $1 < 0.05) s++; printf "%d %.3f", s, s * i - $1 }')
      sleep "$2"
      out=$(pass "$1" 2>&1) || true
      # What changed, with the time; the same words twice in a row (Nebula stopped for a day) once.
      [ -n "$out" ] && [ "$out" != "$last" ] && printf '%s\n' "$out" | sed "s/^/$(date -u +%Y-%m-%dT%H:%M:%SZ) /"
      last=$out
      # The log stays small: past 1 MiB it starts again, the previous one kept as .1 (both processes append to it).
      if [ "$(stat -c %s "$LOGS/direct-paths.log" 2>/dev/null || echo 0)" -gt 1048576 ]; then
        cp --remove-destination "$LOGS/direct-paths.log" "$LOGS/direct-paths.log.1" && : >"$LOGS/direct-paths.log"
      fi
    done
    ;;
  watch)
    if watcher; then echo "watching: already (pid $pid)"; exit 0; fi
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet flatnet-nebula-direct-paths 2>/dev/null; then
      echo "watching: already (the flatnet-nebula-direct-paths unit)"; exit 0
    fi
    mkdir -p "$ROOT/run" "$LOGS"
    setsid bash "$0" --watch-loop >>"$LOGS/direct-paths.log" 2>&1 </dev/null &
    put_pid "$PIDFILE" $!
    echo "watching: relayed tunnels are tried direct every ${INTERVAL}s (pid $!), log in $LOGS/direct-paths.log"
    ;;
  remove)
    unit=/etc/systemd/system/flatnet-nebula-direct-paths.service
    if [ -e "$unit" ]; then
      systemctl disable --now flatnet-nebula-direct-paths >/dev/null 2>&1 || true
      rm -f "$unit"
      systemctl daemon-reload 2>/dev/null || true
      echo "removed: the flatnet-nebula-direct-paths systemd unit"
    fi
    if watcher; then
      kill -- "-$pid" 2>/dev/null || kill "$pid"
      for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.25; done
      echo "removed: the direct-paths watcher (pid $pid)"
    fi
    rm -f "$PIDFILE" "$STATE"
    ;;
esac
exit 0
