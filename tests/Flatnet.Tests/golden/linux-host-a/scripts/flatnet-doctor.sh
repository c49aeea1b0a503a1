#!/usr/bin/env bash
# flatnet-doctor.sh for host-a: checks, in order and changing nothing, what host-a needs to be in the mesh.
# Rendered by flatnet-automation; the Linux twin of flatnet-doctor.ps1. Run it first when anything fails.
#
# Usage: flatnet-doctor.sh [--wsl "COMMAND PREFIX"] [--machine]
#   --wsl      how to run a command inside this host's WSL2 (e.g. the inventory's wsl_command); with it, the
#              WSL-side checks run too: a ping from WSL2's stable address to a peer, and an MTU probe
#   --machine  one tab-separated line per check (status, check, detail, fix), for the Doctor target
# Every line is ok, warn or FAIL; a FAIL says what to do. Exit 1 when any check FAILs.
set -u

ROOT='/opt/flatnet'
NEBULA='/usr/bin/nebula'
CONFIG_DIR='/opt/flatnet/config/nebula'
TUN='nebula1'
MTU=1300
LIGHTHOUSES='10.100.0.1'
PEERS='10.100.2.1 10.100.3.1'
OWN_BLOCK='10.101.1.0/24'
WSL_ADDRESS='10.101.1.1'

wsl=""
machine=0
while [ $# -gt 0 ]; do
  case "$1" in
    --wsl) [ $# -ge 2 ] || { echo "flatnet-doctor.sh: --wsl needs a command prefix" >&2; exit 2; }; wsl=$2; shift ;;
    --machine) machine=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "flatnet-doctor.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

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

failed=0
report() {  # report STATUS CHECK DETAIL [FIX]
  [ "$1" = FAIL ] && failed=1
  if [ "$machine" = 1 ]; then printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}"; return; fi
  printf '%-4s %s: %s\n' "$1" "$2" "$3"
  [ "$1" = FAIL ] && [ -n "${4:-}" ] && printf '       fix: %s\n' "$4"
  return 0
}
in_wsl() { sh -c "$wsl $*"; }

[ "$(id -u)" = 0 ] && report ok root "running as root" || report FAIL root "not root: some checks cannot read what they need" "run it with sudo"

if [ -x "$NEBULA" ]; then
  report ok nebula-version "$("$NEBULA" -version 2>&1 | head -n 1)"
else
  report FAIL nebula-version "$NEBULA is missing" "install Nebula (Debian/Ubuntu: apt-get install nebula) or set nebula.linux.binary"
fi

pid=$(pid_in "$ROOT/run/nebula.pid")
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet flatnet-nebula 2>/dev/null; then
  report ok nebula-running "the flatnet-nebula unit is active"
elif ours "$pid" "-config $CONFIG_DIR/config.yaml"; then
  report ok nebula-running "process $pid"
else
  report FAIL nebula-running "Nebula does not run" "look at $ROOT/logs/nebula.log, then run the bundle's install.sh again (DeployHost)"
fi

link=$(ip -o link show dev "$TUN" 2>/dev/null || true)
if [ -z "$link" ]; then
  report FAIL adapter "no interface $TUN" "Nebula makes it when it starts: see nebula-running"
else
  mtu=$(printf '%s' "$link" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
  [ "$mtu" = "$MTU" ] && report ok adapter "$TUN, MTU $mtu" || report FAIL adapter "$TUN has MTU $mtu, the config says $MTU" "restart Nebula so it applies its config"
fi

for lh in $LIGHTHOUSES; do
  if ping -c 1 -W 2 "$lh" >/dev/null 2>&1; then report ok lighthouse "$lh answers through the tunnel"
  else report FAIL lighthouse "$lh does not answer" "check that the lighthouse runs and that its UDP port is reachable from here (firewall, NAT)"; fi
done

# The mesh's names: flatnet's block in the hosts file is this bundle's, and the resolver answers with it.
hosts="${FLATNET_ETC:-/etc}/hosts"
names="$ROOT/scripts/names.hosts"
count=$(grep -cv '^#' "$names" 2>/dev/null || true)
if [ ! -f "$names" ]; then
  report warn names "$names is missing (a bundle from before names)"
elif ! awk 'index($0, "# BEGIN flatnet names") == 1 { p = 1 } p { print } index($0, "# END flatnet names") == 1 { p = 0 }' "$hosts" 2>/dev/null | cmp -s - "$names"; then
  report FAIL names "$hosts lacks the mesh's $count names, or holds older ones" "run the bundle's install.sh again (DeployHost)"
elif [ "$count" = 0 ]; then
  report ok names "names are off (names: in hosts/network.yaml)"
else
  first=$(grep -v '^#' "$names" | head -n 1)
  got=$(getent ahostsv4 "${first#* }" 2>/dev/null | awk 'NR == 1 { print $1 }')
  [ "$got" = "${first%% *}" ] && report ok names "$count names in $hosts; ${first#* } resolves to ${first%% *}" \
    || report FAIL names "${first#* } resolves to ${got:-nothing}, not ${first%% *}" "check that the hosts: line of /etc/nsswitch.conf lists files first"
fi

# The watcher that moves relayed tunnels to direct ones between flatnet's runs (scripts/direct-paths.sh).
watcher=$(pid_in "$ROOT/run/direct-paths.pid")
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet flatnet-nebula-direct-paths 2>/dev/null; then
  report ok direct-paths "the flatnet-nebula-direct-paths unit is active; $ROOT/scripts/direct-paths.sh --status lists the tunnels"
elif ours "$watcher" "direct-paths.sh --watch-loop"; then
  report ok direct-paths "watcher $watcher; $ROOT/scripts/direct-paths.sh --status lists the tunnels"
else
  report warn direct-paths "the watcher does not run: a relayed tunnel stays relayed until VerifyPing" "run the bundle's install.sh again (DeployHost), or $ROOT/scripts/direct-paths.sh --watch"
fi

[ "$(sysctl -n net.ipv4.ip_forward 2>/dev/null)" = 1 ] && report ok forwarding "net.ipv4.ip_forward=1" \
  || report FAIL forwarding "IPv4 forwarding is off" "run scripts/host-routing.sh (ConfigureRouting)"

route=$(ip -4 route show exact "$OWN_BLOCK" 2>/dev/null | head -n 1)
case "$route" in
  *" via "*) report ok route "$OWN_BLOCK -> $(printf '%s' "$route" | sed -n 's/.* via \([0-9.]*\).*/\1/p')" ;;
  *) report FAIL route "no route of $OWN_BLOCK to WSL2" "run scripts/host-routing.sh (ConfigureRouting); it follows WSL2's current address" ;;
esac

# Traffic WSL2 sends from its stable address must keep that source: Nebula drops a packet whose source is neither
# the host's Nebula IP nor in its certificate's subnets. A MASQUERADE/SNAT rule that matches it would rewrite it.
in_net() {  # in_net ADDR CIDR: is ADDR inside CIDR?
  awk -v ip="$1" -v net="$2" 'function n(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
    BEGIN { split(net, c, "/"); if (c[2] == "") c[2] = 32; size = 2 ^ (32 - c[2]); base = int(n(c[1]) / size) * size; x = n(ip); exit !(x >= base && x < base + size) }'
}
rewriting=""
while read -r rule; do
  [ -n "$rule" ] || continue
  out=$(printf '%s\n' "$rule" | sed -n 's/.* -o \([^ ]*\).*/\1/p')
  [ -z "$out" ] || [ "$out" = "$TUN" ] || continue   # NAT towards the LAN leaves the tunnel's traffic alone
  src=$(printf '%s\n' "$rule" | sed -n 's/.* -s \([0-9./]*\).*/\1/p')
  if [ -z "$src" ] || in_net "$WSL_ADDRESS" "$src"; then rewriting=$rule; break; fi
done <<EOF_RULES
$(iptables -t nat -S POSTROUTING 2>/dev/null | grep -E -- '-j (MASQUERADE|SNAT)' || true)
EOF_RULES
[ -z "$rewriting" ] && report ok source-nat "no NAT rule rewrites WSL2's stable address $WSL_ADDRESS" \
  || report FAIL source-nat "'$rewriting' rewrites $WSL_ADDRESS to this host's address" "narrow the rule's -s to WSL2's NAT network, away from $OWN_BLOCK"

if [ -n "$wsl" ]; then
  peer=${PEERS%% *}
  if [ -z "$peer" ]; then
    report warn wsl-ping "no peer to ping yet"
  elif in_wsl ping -c 1 -W 2 -I "$WSL_ADDRESS" "$peer" >/dev/null 2>&1; then
    report ok wsl-ping "WSL2 reaches $peer from its stable address $WSL_ADDRESS"
    reached=1
  else
    report FAIL wsl-ping "WSL2 does not reach $peer from $WSL_ADDRESS" "run wsl-routing.sh --check inside WSL2, and check that the certificate carries $OWN_BLOCK (GenerateCert --force)"
  fi
  # The MTU is measured only over a path a plain ping crosses: with Nebula down or the peer off, a lower MTU fixes nothing.
  if [ -n "$peer" ] && [ "${reached:-0}" != 1 ]; then
    report warn wsl-mtu "not measured: $peer does not answer a plain ping (see wsl-ping first)"
  elif [ -n "$peer" ]; then
    size=$((MTU - 28))
    if in_wsl ping -c 1 -W 2 -M "do" -s "$size" -I "$WSL_ADDRESS" "$peer" >/dev/null 2>&1; then
      report ok wsl-mtu "a $MTU-byte packet from WSL2 crosses unfragmented"
    else
      report FAIL wsl-mtu "a $MTU-byte packet from WSL2 does not cross" "lower tuning.mtu in hosts/network.yaml (1300 crosses most links)"
    fi
  fi
fi
exit "$failed"
