#!/usr/bin/env bash
# uninstall.sh for host-c: takes flatnet's Nebula off this host (RemoveHost runs it here).
# Rendered by flatnet-automation. Run as root: sudo /opt/flatnet/scripts/uninstall.sh
#
# Removes what flatnet set up on this host, and nothing else:
#   - Nebula: the flatnet-nebula systemd unit, or the process of /opt/flatnet/run/nebula.pid;
#   - the direct-paths watcher (direct-paths.sh --remove);
#   - host routing: the watcher, the block's route and flatnet's sysctl.d file (host-routing.sh --remove);
#   - /opt/flatnet/config/nebula: the config, the certificates, the private key and the admin interface's key;
#   - the record of the installed bundle (installed-manifest.json);
#   - the mesh's names: flatnet's block in /etc/hosts (every other line stays).
# Keeps: the nebula binary (Debian's package or the user's), the logs and these scripts; delete
# /opt/flatnet by hand when nothing there is needed. WSL2's side is wsl-routing.sh --remove, inside WSL2.
# Idempotent: on a host with nothing left it says so.
set -eu

ROOT='/opt/flatnet'
CONFIG_DIR='/opt/flatnet/config/nebula'
UNIT=flatnet-nebula
changed=0

case "${1:-}" in
  "") ;;
  -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  *) echo "uninstall.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
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

# 1. Nebula stops, and nothing starts it again; its watcher first.
if [ -e "$ROOT/scripts/direct-paths.sh" ]; then
  out=$(bash "$ROOT/scripts/direct-paths.sh" --remove) || die "direct-paths.sh --remove failed: $out"
  [ -z "$out" ] || { printf '%s\n' "$out"; changed=1; }
fi
if [ -e "/etc/systemd/system/$UNIT.service" ]; then
  systemctl disable --now "$UNIT" >/dev/null 2>&1 || true
  rm -f "/etc/systemd/system/$UNIT.service"
  systemctl daemon-reload 2>/dev/null || true
  echo "removed: the $UNIT systemd unit"; changed=1
fi
pid_file="$ROOT/run/nebula.pid"
pid=$(pid_in "$pid_file")
if ours "$pid" "-config $CONFIG_DIR/config.yaml"; then
  kill "$pid"
  for _ in 1 2 3 4 5 6 7 8 9 10; do alive "$pid" || break; sleep 0.5; done
  alive "$pid" && die "nebula (pid $pid) did not stop; kill it by hand, then run this again"
  echo "stopped: nebula (pid $pid)"; changed=1
fi
rm -f "$pid_file"

# 2. Host routing (a host with WSL2 has the script).
if [ -e "$ROOT/scripts/host-routing.sh" ]; then
  out=$(bash "$ROOT/scripts/host-routing.sh" --remove) || die "host-routing.sh --remove failed: $out"
  case "$out" in "nothing to remove"*) ;; *) printf '%s\n' "$out"; changed=1 ;; esac
fi

# 3. The keys and config, and the record of what was installed.
if [ -d "$CONFIG_DIR" ]; then
  rm -rf "$CONFIG_DIR"
  echo "removed: $CONFIG_DIR (config, certificates, private key)"; changed=1
fi
for f in installed-manifest.json installed-manifest.pending.json; do
  if [ -e "$ROOT/$f" ]; then rm -f "$ROOT/$f"; changed=1; fi
done

# 4. The mesh's names.
set_names "${FLATNET_ETC:-/etc}/hosts" remove

[ "$changed" = 0 ] && echo "nothing to remove: flatnet's Nebula is not installed on host-c"
exit 0
