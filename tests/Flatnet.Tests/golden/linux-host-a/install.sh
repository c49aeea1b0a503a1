#!/usr/bin/env bash
# install.sh for host-a (10.100.1.1/16): installs this bundle under /opt/flatnet and (re)starts Nebula.
# Rendered by flatnet-automation. Run as root from the unpacked bundle: sudo ./install.sh
#
# Usage: install.sh [--service systemd|pidfile] [--no-start]
#   --service  how Nebula runs: a systemd unit (default where systemd runs) or a plain process with a pid file
#   --no-start place the files only
# Also writes the mesh's names (host-b, host-b-wsl, ...) into /etc/hosts, in a block of flatnet's own.
# Safe to re-run: an unchanged bundle changes nothing. Transactional: the new config is staged, swapped in and
# checked with `nebula -test`; if the check fails the previous config is put back and Nebula keeps running.
set -eu

ROOT='/opt/flatnet'
NEBULA='/usr/bin/nebula'
CONFIG_DIR='/opt/flatnet/config/nebula'
UNIT=flatnet-nebula

here=$(cd "$(dirname "$0")" && pwd)
service=""
start=1
while [ $# -gt 0 ]; do
  case "$1" in
    --service) [ $# -ge 2 ] || { echo "install.sh: --service needs systemd or pidfile" >&2; exit 2; }; service=$2; shift ;;
    --no-start) start=0 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$service" ] || { if [ -d /run/systemd/system ]; then service=systemd; else service=pidfile; fi; }
case "$service" in systemd|pidfile) ;; *) echo "install.sh: --service must be systemd or pidfile" >&2; exit 2 ;; esac

die() { echo "install.sh (host-a): $*" >&2; exit 1; }
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
[ -x "$NEBULA" ] || die "$NEBULA not found; install Nebula (Debian/Ubuntu: apt-get install nebula) or set nebula.linux.binary in hosts/network.yaml"

# 1. The bundle must be exactly what flatnet packed.
(cd "$here" && sha256sum --check --quiet --strict SHA256SUMS) || die "bundle is damaged: a file does not match SHA256SUMS; fetch the bundle again"

# Whenever this script ends well, the bundle it installed is the one this host runs: flatnet records it as installed
# once routing is in place too (ROOT/installed-manifest.json), and judges "up to date" by it.
trap '[ $? = 0 ] && cp "$here/manifest.json" "$ROOT/installed-manifest.pending.json"' EXIT

# 2. Stage the config beside the live one.
# (Made 0755 whatever root's umask: one of 002 would make folders that the check below refuses.)
(umask 022 && mkdir -p "$ROOT" "$ROOT/logs" "$ROOT/scripts" "$ROOT/run" "$(dirname "$CONFIG_DIR")")
# Only root may change the install root, its folders and every folder above it (a sticky one such as /tmp counts),
# as sshd's StrictModes judges a home: an account that could put a link in run/ or logs/ would have this script, and
# the watchers it starts, write as root where the link points.
root_only() {  # root_only DIR: root's, and no other account may write in it
  # shellcheck disable=SC2046 # two words: owner and mode
  set -- "$1" $(stat -c '%u %a' -- "$1")
  [ "$2" = 0 ] || die "$1 belongs to uid $2, not root: that account could redirect what this script writes as root; chown root $1, or set nebula.linux.root to a folder of root's (e.g. /opt/flatnet)"
  [ $(( 8#$3 & 8#022 )) = 0 ] || [ $(( 8#$3 & 8#1000 )) != 0 ] \
    || die "$1 is writable by other accounts (mode $3): they could redirect what this script writes as root; chmod go-w $1"
}
for d in "$ROOT" "$ROOT/logs" "$ROOT/scripts" "$ROOT/run" "$(dirname "$CONFIG_DIR")" "$CONFIG_DIR"; do
  [ ! -L "$d" ] || die "$d is a link, not a folder of flatnet's install: remove it (rm $d) and run this again"
  [ -e "$d" ] || continue   # the config folder itself comes with the first install
  root_only "$d"
done
d=$(cd -P -- "$ROOT" && pwd)
while [ "$d" != / ]; do d=$(dirname "$d"); root_only "$d"; done
stage="$CONFIG_DIR.new"
rm -rf "$stage"
mkdir -p "$stage"
chmod 700 "$stage"
for f in config.yaml ca.crt host.crt host.key; do
  [ -e "$here/$f" ] && cp "$here/$f" "$stage/$f"
done
[ -e "$stage/host.key" ] || { [ -e "$CONFIG_DIR/host.key" ] && cp -p "$CONFIG_DIR/host.key" "$stage/host.key"; } \
  || die "no host.key: this bundle carries none and $CONFIG_DIR has none; make it on the host (nebula-cert keygen) first"
chmod 600 "$stage/host.key"
# Nebula's admin interface (127.0.0.1 only) needs an SSH host key: made here once, kept across installs, never sent anywhere.
ADMIN_KEY='/opt/flatnet/config/nebula/admin_host_ed25519'
if [ -e "$ADMIN_KEY" ]; then
  cp -p "$ADMIN_KEY" "$stage/"
else
  command -v ssh-keygen >/dev/null || die "ssh-keygen is missing (Debian/Ubuntu: apt-get install openssh-client); Nebula's admin interface needs a host key"
  ssh-keygen -q -t ed25519 -N '' -C nebula-admin -f "$stage/$(basename "$ADMIN_KEY")" </dev/null >/dev/null || die "ssh-keygen failed to make $ADMIN_KEY"
  rm -f "$stage/$(basename "$ADMIN_KEY").pub"
fi
chmod 600 "$stage/$(basename "$ADMIN_KEY")"
# The host's own watcher (scripts/direct-paths.sh) logs in there with a key made here too: its public half goes into
# the staged config's one empty "keys: []" line for flatnet-watcher, its host's key is pinned beside it.
WATCHER_KEY='/opt/flatnet/config/nebula/watcher_ed25519'
if [ -e "$WATCHER_KEY" ]; then
  cp -p "$WATCHER_KEY" "$stage/"
else
  ssh-keygen -q -t ed25519 -N '' -C flatnet-watcher -f "$stage/$(basename "$WATCHER_KEY")" </dev/null >/dev/null || die "ssh-keygen failed to make $WATCHER_KEY"
  rm -f "$stage/$(basename "$WATCHER_KEY").pub"
fi
chmod 600 "$stage/$(basename "$WATCHER_KEY")"
watcher_public=$(ssh-keygen -y -f "$stage/$(basename "$WATCHER_KEY")" | awk '{ print $1 " " $2 }') || die "ssh-keygen could not read $WATCHER_KEY"
admin_public=$(ssh-keygen -y -f "$stage/$(basename "$ADMIN_KEY")" | awk '{ print $1 " " $2 }') || die "ssh-keygen could not read $ADMIN_KEY"
printf '[127.0.0.1]:%s %s\n' 2222 "$admin_public" >"$stage/$(basename '/opt/flatnet/config/nebula/watcher_known_hosts')"
if awk -v key="$watcher_public" -v line='      keys: []  # flatnet-watcher key: written here at install, made on this host' \
  '$0 == line { sub(/\[\]/, "[\"" key "\"]"); n++ } { print } END { exit n != 1 }' "$stage/config.yaml" >"$stage/config.yaml.tmp"; then
  mv "$stage/config.yaml.tmp" "$stage/config.yaml"
else
  rm -f "$stage/config.yaml.tmp"
  echo "warning: config.yaml has no line for the watcher's key (keys: []  # flatnet-watcher key: written here at install, made on this host), so the direct-paths watcher cannot log in; build the bundle again (PackageAll) and deploy it"
fi
cmp -s "$here/scripts/direct-paths.sh" "$ROOT/scripts/direct-paths.sh" 2>/dev/null && watcher_new=0 || watcher_new=1
install -m 0755 "$here"/scripts/*.sh "$ROOT/scripts/"
install -m 0644 "$here/scripts/names.hosts" "$ROOT/scripts/"
# The mesh's names (every other host and WSL2: scripts/names.hosts) in this host's hosts file; FLATNET_ETC says where it is (/etc).
set_names "${FLATNET_ETC:-/etc}/hosts" set "$ROOT/scripts/names.hosts"

# 3. Unchanged? Then leave the running Nebula alone.
same=1
for f in config.yaml ca.crt host.crt host.key; do
  cmp -s "$stage/$f" "$CONFIG_DIR/$f" || same=0
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

running() {
  if [ "$service" = systemd ]; then systemctl is-active --quiet "$UNIT"; else
    ours "$(pid_in "$ROOT/run/nebula.pid")" "-config $CONFIG_DIR/config.yaml"; fi
}
install_unit() {  # install_unit NAME < UNIT FILE: written aside, moved into place when it differs, enabled
  cat >"/etc/systemd/system/$1.service.tmp"
  if cmp -s "/etc/systemd/system/$1.service.tmp" "/etc/systemd/system/$1.service"; then rm -f "/etc/systemd/system/$1.service.tmp"; return 0; fi
  mv "/etc/systemd/system/$1.service.tmp" "/etc/systemd/system/$1.service"
  systemctl daemon-reload
  systemctl enable "$1" >/dev/null
}
# The direct-paths watcher runs beside Nebula (a unit of its own under systemd): restarted when this bundle changed
# anything, so that it runs this bundle's script; started if it is not running.
watcher() {  # watcher restart|ensure (ensure restarts it too when this bundle brought a new script)
  [ "$1" = ensure ] && [ "$watcher_new" = 1 ] && set -- restart
  if [ "$service" = systemd ]; then
    # Written on every run (a later bundle may change it); moved into place only when it differs.
    install_unit "$UNIT-direct-paths" <<UNIT
[Unit]
Description=flatnet: relayed tunnels tried direct (host-a)
After=$UNIT.service

[Service]
ExecStart=/bin/bash $ROOT/scripts/direct-paths.sh --watch-loop
StandardOutput=append:$ROOT/logs/direct-paths.log
StandardError=inherit
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
    if [ "$1" = restart ]; then systemctl restart "$UNIT-direct-paths"; else systemctl start "$UNIT-direct-paths"; fi
  else
    [ "$1" = ensure ] || bash "$ROOT/scripts/direct-paths.sh" --remove >/dev/null
    bash "$ROOT/scripts/direct-paths.sh" --watch >/dev/null
  fi
  [ "$1" = ensure ] || echo "watching: relayed tunnels are tried direct every 30 s ($ROOT/scripts/direct-paths.sh --status lists the tunnels)"
}
# Only the host's own certificate (and key) changed, as a renewal changes them: the running Nebula takes them on
# SIGHUP (it reloads pki), and its tunnels stay up. Anything else (the config, the CAs it trusts) is a restart.
reload=0
if [ "$same" = 0 ] && cmp -s "$stage/config.yaml" "$CONFIG_DIR/config.yaml" && cmp -s "$stage/ca.crt" "$CONFIG_DIR/ca.crt"; then reload=1; fi
if [ "$same" = 1 ]; then
  rm -rf "$stage"
  if [ "$start" = 0 ] || running; then
    [ "$start" = 0 ] || watcher ensure
    echo "unchanged: host-a already has this bundle"; exit 0
  fi
else
  # 4. Swap, check, or roll back.
  rm -rf "$CONFIG_DIR.old"
  [ -d "$CONFIG_DIR" ] && mv "$CONFIG_DIR" "$CONFIG_DIR.old"
  mv "$stage" "$CONFIG_DIR"
  if ! out=$("$NEBULA" -test -config "$CONFIG_DIR/config.yaml" 2>&1); then
    rm -rf "$CONFIG_DIR"
    [ -d "$CONFIG_DIR.old" ] && mv "$CONFIG_DIR.old" "$CONFIG_DIR"
    die "nebula -test refused the new config; the previous one is back in place. nebula said: $(printf '%s' "$out" | tail -n 3)"
  fi
  rm -rf "$CONFIG_DIR.old"
  echo "installed: config for host-a in $CONFIG_DIR"
fi
[ "$start" = 1 ] || exit 0
if [ "$reload" = 1 ] && running; then
  if [ "$service" = systemd ]; then systemctl reload "$UNIT"; else kill -HUP "$(pid_in "$ROOT/run/nebula.pid")"; fi
  sleep 1
  running || die "nebula stopped on reload; see its log, and run this again (it then restarts Nebula)"
  watcher restart
  echo "reloaded: nebula for host-a took its new certificate (SIGHUP: its tunnels stay up)"
  exit 0
fi

# 5. (Re)start Nebula.
if [ "$service" = systemd ]; then
  install_unit "$UNIT" <<UNIT
[Unit]
Description=Nebula for flatnet (host-a)
Wants=basic.target network-online.target
After=basic.target network.target network-online.target

[Service]
ExecStart=$NEBULA -config $CONFIG_DIR/config.yaml
ExecReload=/bin/kill -HUP \$MAINPID
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
UNIT
  systemctl restart "$UNIT"
else
  if running; then
    kill "$(pid_in "$ROOT/run/nebula.pid")"
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do running || break; sleep 0.5; done
    if running; then kill -9 "$(pid_in "$ROOT/run/nebula.pid")"; sleep 0.5; fi
  fi
  # A Nebula just stopped may hold its port or its device a moment longer (seen on a loaded machine): the new one
  # that exits at once is started once more, after a pause, before it is called a failure.
  start_nebula() {
    setsid "$NEBULA" -config "$CONFIG_DIR/config.yaml" >>"$ROOT/logs/nebula.log" 2>&1 </dev/null &
    put_pid "$ROOT/run/nebula.pid" $!
    sleep 1
    running
  }
  start_nebula || { sleep 2; start_nebula; } \
    || die "nebula exited at once, twice; see $ROOT/logs/nebula.log (is another nebula holding port 4242 or nebula1? pgrep -a nebula)"
fi
watcher restart
if [ "$service" = systemd ]; then where="journalctl -u $UNIT"; else where="$ROOT/logs/nebula.log"; fi
echo "started: nebula for host-a ($service), log in $where"
