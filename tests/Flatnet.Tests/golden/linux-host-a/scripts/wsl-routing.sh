#!/usr/bin/env bash
# wsl-routing.sh for host-a: run inside WSL2 as root (sudo), at every WSL start.
# Rendered by flatnet-automation from hosts/; re-render instead of editing.
#
# WSL2's own address (172.x) changes at every start and may be the same on two hosts, so other hosts never route
# to it. Instead WSL2 takes the stable address 10.101.1.1 from host-a's routed block 10.101.1.0/24;
# Windows routes that block to WSL2's current address (setup-routing.ps1), and WSL2 sends the overlay and the
# routed pool (every host's block) to Windows with the stable address as source, so replies come back through
# Nebula. Two routes, whatever the fleet's size: a host joining or leaving changes no route here, only the
# mesh's names, which this script keeps in WSL2's /etc/hosts (names.hosts beside it: every other host and WSL2), in a
# block of flatnet's own (WSL regenerates /etc/hosts from Windows' hosts file at its start, generateHosts; this
# script runs after that, from the [boot] command, and puts the block back either way).
#
# Usage: wsl-routing.sh [--check] [--install-boot] | --remove
#   --check         change nothing; exit 1 if anything is missing
#   --install-boot  also make WSL run this script at every start ([boot] command in /etc/wsl.conf)
#   --remove        undo it (RemoveHost): the routes from the stable address, the address, the names, and this
#                   script in the [boot] command (another program's command there is kept)
# Routes from the stable address that the plan does not have (one per host's block, as flatnet set them before
# the pool route) are deleted: that source is flatnet's alone, so no other route is ever touched.
# Idempotent: a second run changes nothing. FLATNET_ETC (default /etc) is where wsl.conf and hosts live.
set -eu

WSL_ADDRESS='10.101.1.1'
# Destinations reached through Windows: the Nebula overlay (every host's Nebula IP); the routed pool (every host's block).
ROUTES='10.100.0.0/16 10.101.0.0/16'
# WSL2's eth0 is 1500 bytes, the tunnel 1300: the routes say so, rather than trusting ICMP "too big" to cross WinNAT.
MTU=1300
ETC="${FLATNET_ETC:-/etc}"

check=0
boot=0
remove=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --remove) remove=1 ;;
    --install-boot) boot=1 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "wsl-routing.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
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

# The mesh's names in a hosts file: flatnet's block, between its BEGIN and END lines, replaced as a whole and kept at
# the top; every other line stays as it is. Written in place, never replaced: /etc/hosts may be a bind mount (WSL, a container)
# and keeps its owner and mode; a symbolic link is never written through.
# set_names FILE [set|check|remove] [NAMES]: NAMES (a names.hosts beside these scripts) holds the block, empty with
# names off; prints what it did (set:, removed:), or what is missing (missing:) with check.
set_names() {
  f=$1; mode=${2:-set}; block=${3:-}
  if [ "$mode" != remove ] && [ ! -f "$block" ]; then echo "warning: names: ${block:-names.hosts} is missing, so the names in $f stay as they are"; return 0; fi
  count=0; [ "$mode" = remove ] || count=$(grep -cv '^#' "$block" || true)
  if [ -L "$f" ]; then echo "warning: names: $f is a symbolic link (another tool keeps it), so flatnet does not write its names there"; return 0; fi
  [ -e "$f" ] || { [ "$mode" = set ] && [ "$count" -gt 0 ]; } || return 0
  # One BEGIN line, then one END line, or neither: anything else is not a block of flatnet's, and nothing is guessed.
  pairs=$(awk 'index($0, "# BEGIN flatnet names") == 1 { b++; if (!bl) bl = NR } index($0, "# END flatnet names") == 1 { e++; if (!el) el = NR }
    END { print b + 0 " BEGIN, " e + 0 " END" ((b == 1 && e == 1 && el < bl) ? ", END first" : "") }' "$f" 2>/dev/null || echo "0 BEGIN, 0 END")
  case "$pairs" in
    "0 BEGIN, 0 END"|"1 BEGIN, 1 END") ;;
    *) echo "warning: names: $f has flatnet's BEGIN and END lines out of pairs or out of order ($pairs); remove flatnet's BEGIN and END lines by hand (and flatnet's names beside them), then run this again"; return 0 ;;
  esac
  # No block there and none to write: the file stays as it is, byte for byte (even without a last line break).
  [ "$pairs" != "0 BEGIN, 0 END" ] || [ "$count" -gt 0 ] || return 0
  want=$(mktemp) || die "mktemp failed"
  # The block goes first: WSL copies Windows' hosts entries into /etc/hosts at its start (without flatnet's markers),
  # and glibc answers with the first line that names a host, so flatnet's current names must come before any copy.
  { [ "$mode" = remove ] || cat "$block"
    [ -e "$f" ] && awk 'index($0, "# BEGIN flatnet names") == 1 { skip = 1 } !skip { print } index($0, "# END flatnet names") == 1 { skip = 0 }' "$f"; } >"$want"
  if cmp -s "$want" "$f"; then rm -f "$want"; return 0; fi
  # shellcheck disable=SC2034 # missing and changed are the caller's (_shell-steps' --check and its summary)
  if [ "$mode" = check ]; then rm -f "$want"; echo "missing: names ($count) in $f"; missing=1; return 0; fi
  # In place, but never half: the file as it was is kept beside it until the new one is whole, and put back if not.
  if [ -e "$f" ] && ! cp -p "$f" "$f.flatnet-old" 2>/dev/null; then
    rm -f "$want" "$f.flatnet-old"
    echo "warning: names: $f cannot be copied aside first (its folder read-only, or no room), so its names stay as they were"
    return 0
  fi
  if ! cat "$want" 2>/dev/null >"$f"; then
    if [ -e "$f.flatnet-old" ]; then cat "$f.flatnet-old" 2>/dev/null >"$f" || true; fi
    rm -f "$want" "$f.flatnet-old"
    echo "warning: names: $f cannot be written (read-only, immutable: lsattr shows it, chattr -i undoes it; or no room), so its names stay as they were"
    return 0
  fi
  rm -f "$want" "$f.flatnet-old"
  if [ "$count" = 0 ]; then echo "removed: names from $f"; else echo "set: names ($count) in $f"; fi
  # shellcheck disable=SC2034
  changed=1
}

[ "$(id -u)" = 0 ] || die "run as root: sudo $0"
command -v ip >/dev/null 2>&1 || die "the ip command is missing; install iproute2"

conf="$ETC/wsl.conf"
# boot_command: the [boot] command of wsl.conf (WSL runs one), quotes stripped; empty when there is none.
boot_command() {
  awk '/^\[/ { inboot = ($0 == "[boot]") }
    inboot && /^[ \t]*command[ \t]*=/ { sub(/^[ \t]*command[ \t]*=[ \t]*/, ""); gsub(/^"|"$/, ""); print; exit }' "$conf" 2>/dev/null || true
}
# set_boot_command LINE: replace the [boot] command with LINE ("" deletes it), keeping every other line of wsl.conf.
set_boot_command() {
  [ -e "$conf" ] || : >"$conf"
  awk -v line="$1" '
    /^\[/ { if (inboot && !done && line != "") { print line; done = 1 } inboot = ($0 == "[boot]") }
    inboot && /^[ \t]*command[ \t]*=/ { if (!done && line != "") { print line; done = 1 } next }
    { print }
    END { if (!done && line != "") { if (!inboot) print "[boot]"; print line } }' "$conf" >"$conf.flatnet-tmp"
  mv "$conf.flatnet-tmp" "$conf"
}
# Routes with the stable address as source are flatnet's alone.
own_routes() { ip -4 route show | awk -v src="$WSL_ADDRESS" '{ for (i = 1; i < NF; i++) if ($i == "src" && $(i + 1) == src) { print $1; break } }'; }

if [ "$remove" = 1 ]; then
  for net in $(own_routes); do
    ip route del "$net" src "$WSL_ADDRESS"; echo "removed: route $net"; changed=1
  done
  for dev in $(ip -4 -o addr show | awk -v a="$WSL_ADDRESS/32" '$4 == a { print $2 }'); do
    ip addr del "$WSL_ADDRESS/32" dev "$dev"; echo "removed: address $WSL_ADDRESS/32 on $dev"; changed=1
  done
  current=$(boot_command)
  rest=$(printf '%s\n' "$current" | awk -F'; *' '{ for (i = 1; i <= NF; i++) if ($i != "" && $i !~ /wsl-routing\.sh'"'"'?$/) out = out (out == "" ? "" : "; ") $i } END { print out }')
  if [ "$rest" != "$current" ]; then
    set_boot_command "${rest:+command = \"$rest\"}"
    echo "removed: this script from the [boot] command in $conf${rest:+ (kept: $rest)}"; changed=1
  fi
  set_names "$ETC/hosts" remove
  [ "$changed" = 0 ] && echo "nothing to remove: WSL2 routing for host-a is not in place"
  exit 0
fi

# The default route points at Windows (the vEthernet (WSL) side); that is the way to Nebula.
default=$(ip -4 route show default | head -n 1)
gw=$(printf '%s\n' "$default" | awk '{for (i = 1; i < NF; i++) if ($i == "via") { print $(i + 1); exit }}')
dev=$(printf '%s\n' "$default" | awk '{for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit }}')
[ -n "$gw" ] && [ -n "$dev" ] || die "no default route, so Windows' address is unknown; is WSL's network up? (ip route: $(ip -4 route | tr '\n' ';'))"

# /32: the rest of the block stays free for containers (Stage 3), and nothing else on eth0 changes.
if ! ip -4 -o addr show dev "$dev" | grep -q " inet $WSL_ADDRESS/32 "; then
  step "address $WSL_ADDRESS/32 on $dev" ip addr add "$WSL_ADDRESS/32" dev "$dev"
fi

for net in $ROUTES; do
  want="$net via $gw dev $dev src $WSL_ADDRESS mtu $MTU"
  have=$(ip -4 route show exact "$net" | head -n 1 | sed 's/ *$//')
  case "$have" in
    "$want"|"$want "*) ;;
    *) step "route $want${have:+ (was: $have)}" ip route replace $want ;;
  esac
done

# A route from the stable address that the plan does not have is an older flatnet's (one per block).
stale=$(own_routes | while read -r net; do case " $ROUTES " in *" $net "*) ;; *) echo "$net" ;; esac; done)
for net in $stale; do
  if [ "$check" = 1 ]; then
    echo "stale: route $net (not in the plan)"; missing=1
  else
    ip route del "$net" src "$WSL_ADDRESS"
    echo "removed: route $net (not in the plan)"; changed=1
  fi
done

if [ "$boot" = 1 ]; then
  self=$(readlink -f "$0")
  case "$self" in *" "*) self="'$self'" ;; esac
  # WSL runs one [boot] command. Keep what another program put there (e.g. service docker start) and run this
  # script after it; an earlier flatnet wsl-routing.sh (another path) is replaced, not run twice.
  current=$(boot_command)
  want=$(printf '%s\n' "$current" | awk -v self="$self" -F'; *' '
    { for (i = 1; i <= NF; i++) if ($i != "" && $i != self && $i !~ /wsl-routing\.sh'"'"'?$/) out = out $i "; " }
    END { print out self }')
  line="command = \"$want\""
  if ! grep -qxF "$line" "$conf" 2>/dev/null; then
    if [ "$check" = 1 ]; then
      echo "missing: [boot] $line in $conf"; missing=1
    else
      set_boot_command "$line"
      echo "set: [boot] $line in $conf"
      changed=1
    fi
  fi
fi

names="$(dirname "$0")/names.hosts"
if [ "$check" = 1 ]; then set_names "$ETC/hosts" check "$names"; else set_names "$ETC/hosts" set "$names"; fi

if [ "$check" = 1 ]; then
  [ "$missing" = 0 ] && echo "ok: WSL2 routing for host-a is in place" && exit 0
  exit 1
fi
[ "$changed" = 0 ] && echo "unchanged: WSL2 routing for host-a was already in place"
exit 0
