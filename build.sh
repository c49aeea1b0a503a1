#!/bin/bash
# Bootstrap: restore the pinned .NET tools (Cake, PowerShell), publish the Flatnet library (with the lab beside it) for the Cake script,
# then run the task graph with every argument passed through: ./build.sh --target=AddHost --host=host-c
# The library is published again only when its source or the Cake scripts changed (a record of their contents and of what was built, kept in your cache), and
# Cake reuses its compiled script until then, so a task starts in a few seconds.
set -euo pipefail
# The programs this script runs (stat, find, getent, ls and the rest) come from the system's own folders (sudo's
# secure_path), and dotnet from its own folder, checked below: never from a folder PATH put first, which root's badly
# set PATH could make another account's (battery 23). What runs later finds the rest of PATH after these. So is bash
# itself (/bin/bash above, not `env bash`); elsewhere run it as `bash build.sh`.
user_path=$PATH
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
dotnet_bin=$(PATH=$user_path command -v dotnet) || { echo "build.sh: dotnet is not on PATH, so nothing was run. Fix: install the .NET 10 SDK (see README) and run this again" >&2; exit 1; }
dotnet_dir=$(dirname "$(readlink -f "$dotnet_bin")")
PATH=$dotnet_dir:$PATH:$user_path
cd "$(dirname "$0")"
cd "$(pwd -P)"   # the checkout's own path, not a link's to it: every check and every path below names what is really there
# Nothing this script, dotnet or flatnet makes is writable by group or others, whatever umask the shell had: under
# umask 000 the published library was anyone's to replace (battery 24; the library keeps the same rule: CreationMask).
umask "$(printf '%04o' $(( $(umask) | 022 )))"
# What this script builds and runs (the Cake scripts, src/, the restored tools and packages) is the code a writing run
# executes, as root too: every entry must be yours, root's or the checkout's owner's, and writable by nobody else (a
# group of the owner's own name, as umask 002 makes, counts as the owner). Battery 21 had another account's line in a
# world-writable build/build.cake run as root. The library checks what it reads itself (inventory, templates, tools,
# artifacts; src/Flatnet/Files/OwnTrees.cs).
me=$(id -u) owner=$(stat -c %u .)
roots=(.) ; [ -d artifacts/tools ] && roots+=(artifacts/tools)   # the library Cake loads lives there
roots+=("$dotnet_dir")   # the SDK that builds and runs it all (its folders above are checked below)
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}; [ -d "$packages" ] && roots+=("$packages")
# dotnet's cache of where each tool is: every entry names a program dotnet runs (battery 31: an entry others could write).
cache=${DOTNET_CLI_HOME:-$HOME}/.dotnet/toolResolverCache; [ -d "$cache" ] && roots+=("$cache")
# NuGet's credential plugins run in every restore: only those in your own ~/.nuget/plugins, held to the same rules,
# never from a path the environment names (battery 32 named the folder; MSBuild's own user imports are off:
# Directory.Build.rsp).
unset NUGET_PLUGIN_PATHS; [ -d "$HOME/.nuget/plugins" ] && roots+=("$HOME/.nuget/plugins")
# A group of the owner's own name is the owner alone only when nobody else is in it (getent), and a POSIX ACL (ls
# marks it '+') is a share the mode does not show: both count as others who may write.
untrusted() { [ "$1" != 0 ] && [ "$1" != "$me" ] && [ "$1" != "$owner" ]; }
# A file or folder of its own that is a link, another account's, or open to others beyond what mode bits $2 allow (022: writable; 077: any share).
exposed() { [ -L "$1" ] || untrusted "$(stat -c %u -- "$1")" || [ -n "$(find "$1" -maxdepth 0 -perm "/$2")" ]; }
private_group() { local members; members=$(getent group "$1" 2>/dev/null | cut -d: -f4); [ "$1" = "$2" ] && { [ -z "$members" ] || [ "$members" = "$2" ]; }; }
others=$( { find -L "${roots[@]}" -path ./artifacts -prune -o \( \( ! -uid 0 ! -uid "$me" ! -uid "$owner" \) -o -perm /022 \) \
             -printf '%U %u %g %M %p\0' 2>/dev/null || true; } | {
           n=0
           while IFS= read -r -d '' e; do
             u=${e%% *} r=${e#* }; user=${r%% *} r=${r#* }; group=${r%% *} r=${r#* }; m=${r%% *} path=${r#* }
             if untrusted "$u" || [ "${m:8:1}" = w ] \
                || { [ "${m:5:1}" = w ] && { ! private_group "$group" "$user" || [ "$(ls -ldL -- "$path" 2>/dev/null | cut -c11)" = + ]; }; }; then
               # find -L lists a link only when it leads nowhere: another account may make what it names.
               if [ "${m:0:1}" = l ]; then printf '%s (a link that leads nowhere, to %s)\n' "$path" "$(readlink -- "$path")"
               # A link that leads to what another account may change: chown and chmod cannot make that yours.
               elif [ -L "$path" ]; then printf '%s (a link to %s, whose owner is %s, %s)\n' "$path" "$(readlink -- "$path")" "$u" "$m"
               else printf '%s (owner %s, %s)\n' "$path" "$u" "$m"; fi
               n=$((n + 1)); [ "$n" -lt 3 ] || break
             fi
           done; } )
# A folder (or, while it is not made yet, the nearest folder above it that is) and every folder above it: another
# account's, or one it may write, lets that account rename what is below it away, or make it first, and put its own in
# its place after this check. Above, a sticky folder (as /tmp) is fine: others may not rename what is yours in it.
# The folder itself never: others may make in it the names build.sh or dotnet makes next (battery 30: artifacts/ at
# 1777, and another account made artifacts/tools).
unsafe_chain() {
  local d=$1 u sticky_ok=
  while [ ! -e "$d" ] && [ ! -L "$d" ]; do d=$(dirname "$d"); done
  while :; do
    u=$(stat -c %u -- "$d")
    if [ -L "$d" ] || untrusted "$u" || [ -n "$(find "$d" -maxdepth 0 -perm /022 ${sticky_ok:+! -perm -1000})" ]; then
      printf '%s (owner %s, %s, a folder: %s)' "$d" "$u" "$(stat -c %A -- "$d")" "$2"; return 0
    fi
    [ "$d" != / ] || return 1; d=$(dirname "$d"); sticky_ok=1
  done
}
# Every folder build.sh and dotnet take code or settings from, and every folder above each (battery 30: a fresh clone
# in a folder others may write, ~/.nuget and ~/.dotnet writable by others, each let another account swap what root
# then ran; the walk above checks what is below them, not them): the checkout, the artifacts folder that holds the
# library Cake loads, dotnet's own folder, the packages folder, the user's NuGet config's folder, and dotnet's cache
# of where each tool is.
nuget_config=$HOME/.nuget/NuGet/NuGet.Config
for chain in "$PWD|the checkout" "$PWD/artifacts|the folder that holds the library Cake loads" "$dotnet_dir|the folder dotnet runs from" \
             "$packages|the packages folder dotnet restores Cake and PowerShell into" "$(dirname "$nuget_config")|the folder of your NuGet config" \
             "$cache|the folder where dotnet remembers where each tool is" \
             "$HOME/.nuget|NuGet's own folder (its config, packages and plugins)" "${DOTNET_CLI_HOME:-$HOME}/.dotnet|dotnet's own folder in your home"; do
  [ -n "$others" ] || others=$(unsafe_chain "${chain%%|*}" "${chain#*|}" || true)
done
# A folder with an ACL (a default one keeps the mode as it was, and shares what is made in it): ls marks it '+'.
[ -n "$others" ] || others=$( { find -L "${roots[@]}" -path ./artifacts -prune -o -type d -print0 2>/dev/null || true; } | { xargs -0 -r ls -ldL -- 2>/dev/null || true; } \
                               | grep -m 3 '^d.........+' | sed -E 's/^([^ ]+) +[0-9]+ +([^ ]+) .* ([^ ]+)$/\3 (owner \2, \1: an ACL)/' || true)
# What dotnet and MSBuild look for in every folder above the checkout: the checkout's own (Directory.Build.*,
# Directory.Packages.props, global.json, the tool manifest's isRoot) stop those searches, and NuGet's configs above are
# not read (below). Another account's file there is still refused (battery 23), judged by the link too where it is one.
if [ -z "$others" ]; then
  d=$(pwd -P)
  while [ "$d" != / ] && [ -z "$others" ]; do
    d=$(dirname "$d")
    for f in Directory.Build.props Directory.Build.targets Directory.Build.rsp Directory.Packages.props global.json; do
      [ -e "$d/$f" ] || [ -L "$d/$f" ] || continue
      u=$(stat -Lc %u -- "$d/$f" 2>/dev/null || stat -c %u -- "$d/$f")
      if untrusted "$u" || untrusted "$(stat -c %u -- "$d/$f")" || [ -n "$(find -L "$d/$f" -maxdepth 0 -perm /022 2>/dev/null)" ]; then
        others="$d/$f (owner $u: above the checkout, dotnet or MSBuild looks for it)"; break
      fi
    done
  done
fi
if [ -n "$others" ]; then
  echo "build.sh: another account owns or may write what this script builds and runs, so nothing was run:" >&2
  printf '  %s\n' "$others" >&2
  case $others in *"leads nowhere"*) echo "build.sh: fix: remove each link that leads nowhere (rm PATH; an editor's lock file, .#NAME, goes when the editor closes the file), then run this again" >&2; exit 1 ;; esac
  case $others in *"(a link to "*) echo "build.sh: fix: remove each such link (rm PATH) or put a file of your own in its place (cp --remove-destination \"\$(readlink -f PATH)\" PATH, once you have read it), then run this again" >&2; exit 1 ;; esac
  case $others in *", a folder: "*) echo "build.sh: fix: make each folder named yours alone, itself only (chmod go-w FOLDER, not -R; chown where it is another account's), or keep the checkout, your packages (NUGET_PACKAGES), dotnet's home (DOTNET_CLI_HOME) and your cache (XDG_CACHE_HOME) in folders of your own; then run this again" >&2; exit 1 ;; esac
  case $others in *"above the checkout"*) echo "build.sh: fix: remove that file if it is not yours, or keep the checkout in a folder of your own (not under /tmp), then run this again" >&2; exit 1 ;; esac
  echo "build.sh: fix: make them yours alone (chown -R \"\$(id -un)\" PATH && chmod -R go-w PATH, and setfacl -R -b PATH, from the acl package, where an ACL gives others a share), then run this again" >&2
  exit 1
fi
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}
built=$cache_root/flatnet/builds
# Made level by level, never through a link (battery 30: another account's link at flatnet/ in a shared cache folder
# had mkdir -p make root's folder where it led): the cache folder and those above first, then each level, refused if
# it is a link or another account's, made owner-only when missing (mkdir without -p fails where anyone made it first).
if chain=$(unsafe_chain "$cache_root" "the cache folder that holds build.sh's record and Cake's compiled script"); then
  echo "build.sh: another account owns or may write $chain, so nothing was run. Fix: point XDG_CACHE_HOME at a folder of your own (or make that folder yours alone: chmod go-w), then run this again" >&2
  exit 1
fi
mkdir -p -m 700 "$cache_root"
for level in "$cache_root/flatnet" "$built"; do
  if [ -L "$level" ] || { [ -e "$level" ] && untrusted "$(stat -c %u -- "$level")"; }; then
    echo "build.sh: $level, where build.sh records what it built, is a link or another account's, so nothing was run. Fix: rm -rf \"$level\" if it is not yours to keep, then run this again" >&2
    exit 1
  fi
  [ -d "$level" ] || mkdir -m 700 -- "$level"
done
if exposed "$built" 077; then
  echo "build.sh: $built, where build.sh records what it built, is a link, another account's or open to others, so nothing was run. Fix: rm -rf \"$built\" and run this again" >&2
  exit 1
fi
# ... and the folders above it, as for dotnet's (Cake's compiled script is kept there; battery 29).
if chain=$(unsafe_chain "$cache_root/flatnet" "a folder above build.sh's record and Cake's compiled script"); then
  echo "build.sh: another account owns or may write $chain, so nothing was run. Fix: point XDG_CACHE_HOME at a folder of your own (or make that folder yours alone: chmod go-w), then run this again" >&2
  exit 1
fi
# NuGet merges every NuGet.Config from the checkout up to / (no file of ours can stop that), and another account can
# make one in a shared folder above (as /tmp) while the publish runs, after any check: its packages folder then
# supplied the DLLs published here, run as root (battery 24). So every restore reads your own NuGet config alone, where
# NuGet keeps it (made with NuGet's defaults when missing): RestoreConfigFile for what MSBuild restores (the publish,
# the build, the Test target's dotnet test), --configfile for the tools.
[ -f "$nuget_config" ] || (cd "$HOME" && dotnet nuget list source >/dev/null 2>&1) || true
if [ ! -f "$nuget_config" ] || exposed "$nuget_config" 022; then
  echo "build.sh: your NuGet config $nuget_config is missing, a link, another account's or writable by others, so nothing was restored" >&2
  echo "build.sh: fix: make it a file of yours alone (chmod go-w \"$nuget_config\"), or remove it and run this again (dotnet makes a new one)" >&2
  exit 1
fi
export RestoreConfigFile=$nuget_config
# NuGet's download cache (~/.local/share/NuGet/http-cache) and its plugins' cache: a package planted there by another
# account was unpacked and its build targets ran as root (battery 33). build.sh's restores keep both below its own
# checked, owner-only folder instead.
# Its scratch too ($TMPDIR/NuGetScratch$USER: another account's link there had root's NuGet make a file where it led; battery 35).
export NUGET_HTTP_CACHE_PATH=$built/nuget-http-cache NUGET_PLUGINS_CACHE_PATH=$built/nuget-plugins-cache NUGET_SCRATCH=$built/nuget-scratch
# The packages folder too, checked above: `dotnet tool restore` takes globalPackagesFolder from the configs above the
# checkout whatever --configfile says, and put another account's Cake there, which root then ran (battery 25).
export NUGET_PACKAGES=$packages
dotnet tool restore --configfile "$nuget_config" >/dev/null
# Where dotnet remembers each tool is (its resolver cache, kept across checkouts): only the packages folder checked
# above. A restore below another account's NuGet.Config once pointed it at their folder for every later run.
if [ -d "$cache" ]; then
  stray= real_packages=$(realpath -m -- "$packages")
  # Judged by the path it really names (battery 30: "PACKAGES/../../.dotnet/x/Cake.dll" began with the packages folder).
  while IFS= read -r p; do case $(realpath -m -- "$p") in "${real_packages%/}"/*) ;; *) stray=$p; break ;; esac
  done < <(find "$cache" -type f -exec cat {} + 2>/dev/null | tr '\t\r\n' '   ' | sed -E 's/"PathToExecutable"[[:space:]]*:[[:space:]]*"/"PathToExecutable":"/g' | grep -o '"PathToExecutable":"[^"]*"' | cut -d'"' -f4)
  # Read as JSON reads it, whatever its spacing (battery 31: '"PathToExecutable" :' escaped the check); a name or path
  # written with escapes (\u0050...) is not read here, so such an entry is refused whole.
  if [ -z "$stray" ] && find "$cache" -type f -exec grep -l '\\' {} + 2>/dev/null | grep -q .; then stray="an entry written with escapes ($(find "$cache" -type f -exec grep -l '\\' {} + | head -1))"; fi
  if [ -n "$stray" ]; then
    echo "build.sh: dotnet's tool cache runs $stray, outside your packages folder ($packages), so nothing was run" >&2
    echo "build.sh: fix: rm -rf \"$cache\" (dotnet makes it again from your packages at the next restore), then run this again" >&2
    exit 1
  fi
fi
out=artifacts/tools/flatnet
# The library is published into the repository's own folder, never through a link (a clone may carry one): checked
# before anything is written there.
# The same for every file in it (a DLL), for Cake's script cache and modules in build/tools, and for the
# projects' bin/ and obj/ that dotnet writes: a link committed there would have its target written or deleted.
for d in artifacts artifacts/tools "$out" build/tools build/tools/cache build/tools/Modules $( [ -d "$out" ] && find "$out" -type l ) \
         $( for t in build/tools/Modules build/tools/cache; do [ -d "$t" ] && find "$t" -mindepth 1 -type l; done ) \
         src/*/bin src/*/obj $( find src -mindepth 2 -maxdepth 4 \( -name bin -o -name obj \) -prune -type d -exec find {} -type l \; 2>/dev/null ); do
  if [ -L "$d" ]; then
    echo "build.sh: $d is a link (to $(readlink "$d")), not a file of this repository's; nothing was written. Fix: remove it (rm $d) and run this again" >&2
    exit 1
  fi
done
# Only what this machine built from the sources runs, never a binary a clone or a download brought (battery 26: a
# commit with a Flatnet.dll and a stamp that matched the sources had its DLL run as root, unreviewed):
# - git may track no build output (artifacts/, build/tools/, any bin/ or obj/: MSBuild takes an obj/ newer than the
#   sources as built) and nothing in tools/ (Nebula's programs: a committed nebula-cert would run on the CA's key). When
#   git cannot say (another account's checkout: "dubious ownership"), nothing runs (battery 27: that was taken as none).
# - What was built here is recorded outside the checkout (your cache, per checkout path): the sources' hash, the
#   outputs' own hash, and a random token this machine also put in the tree at its first build. A tree without that
#   token is new here, whatever its path says (battery 27: a download unpacked where a built checkout had been reused
#   the record, with an obj/ dated in the future): its bin/ and obj/ are cleared and it is built from nothing, and a
#   tools/ an archive came with stops it until you have looked at it.
if [ -e .git ]; then
  if ! tracked=$(git -c safe.directory="$PWD" -c core.fsmonitor=false ls-files -- artifacts build/tools tools ':(glob)**/bin/**' ':(glob)**/obj/**' 2>&1); then
    echo "build.sh: git cannot say which files this checkout tracks, so nothing was run: $(printf '%s' "$tracked" | head -1)" >&2
    echo "build.sh: fix: run build.sh where git works (git status), or from a copy without .git" >&2
    exit 1
  fi
  # ... nor any binary file, wherever it is (battery 28: a committed vendor/nebula-cert named as cert_tool ran on the
  # CA's key; a committed zip named as the Windows release shipped in every bundle): a program is fetched or built here.
  tracked=$tracked$(git -c safe.directory="$PWD" -c core.fsmonitor=false ls-files --eol 2>/dev/null | awk '$1 == "i/-text" { sub(/^[^\t]*\t/, ""); print "\n" $0 }')
  tracked=$(printf '%s\n' "$tracked" | sed '/^$/d')
  if [ -n "$tracked" ]; then
    echo "build.sh: git tracks build outputs or binary files, so nothing was run (only what this machine builds from the sources, or fetches, runs):" >&2
    printf '%s\n' "$tracked" | head -3 | sed 's/^/  /' >&2
    echo "build.sh: fix: git rm -r -q --cached --ignore-unmatch -- artifacts build/tools tools ':(glob)**/bin/**' ':(glob)**/obj/**' && git commit -q -m 'Build outputs are made here, not committed', then run this again (or use a clone without them; a binary file elsewhere: git rm --cached FILE, then commit)" >&2
    exit 1
  fi
fi
record=$built/$(pwd -P | sha256sum | cut -c1-32)
token_file=build/tools/.built-here
token=$(cut -s -d' ' -f3 "$record" 2>/dev/null || true)
if [ -n "$token" ] && [ -f "$token_file" ] && [ ! -L "$token_file" ] && [ "$(cat "$token_file")" = "$token" ]; then known=1; else known=; fi
# (In a git checkout, git tracks nothing in tools/ (above): what is there is yours. An archive has no such word.)
if [ -z "$known" ] && [ ! -e .git ] && [ -n "$(find tools -mindepth 1 -print -quit 2>/dev/null)" ]; then
  echo "build.sh: tools/ came with this checkout, which this machine has not built yet (an archive brought it, or it was there before build.sh kept a record), so nothing was run: flatnet runs its programs, nebula-cert on the CA's key" >&2
  echo "build.sh: fix: mv tools tools.came-with-checkout, then run this again; afterwards fetch Nebula anew (./build.sh --target=FetchNebula --nebula=VERSION), or move back what you have checked (mv tools.came-with-checkout tools)" >&2
  exit 1
fi
sources=$( { find src/Flatnet src/Flatnet.Lab src/Cake.Flatnet.Module -type f \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -path 'src/Flatnet.Lab/windows/*' \) -not -path '*/obj/*' -not -path '*/bin/*' -print0 | sort -z | xargs -0 sha256sum
             sha256sum .config/dotnet-tools.json src/Directory.Build.props build/*.cake
             # the checkout's own build settings too: a change there is a new build (battery 28: it was silently not applied)
             for f in Directory.Build.props Directory.Build.targets Directory.Build.rsp Directory.Packages.props global.json; do if [ -f "$f" ]; then sha256sum "$f"; fi; done; } | sha256sum | cut -d' ' -f1)
outputs() { find "$out" build/tools/Modules -type f -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1; }
# What MSBuild takes as built (bin/ and obj/ of the projects and the tests), by name, size, time and inode: an archive
# unpacked over a tree built here brought an obj/ dated in the future, which MSBuild took as built (battery 28).
intermediates() { find src/*/bin src/*/obj tests/*/bin tests/*/obj -printf '%p %s %T@ %i\n' 2>/dev/null | sort | sha256sum | cut -d' ' -f1; }
if [ -n "$known" ] && [ "$(cut -s -d' ' -f4 "$record")" != "$(intermediates)" ]; then
  echo "build.sh: the projects' bin/ or obj/ changed since this machine built them (another build, or files unpacked over the checkout): they are cleared and built again" >&2
  rm -rf src/*/bin src/*/obj tests/*/bin tests/*/obj
  known=
fi
if [ -z "$known" ] || [ ! -f "$out/Flatnet.dll" ] || [ ! -f build/tools/Modules/Cake.Flatnet.Module/Cake.Flatnet.Module.dll ] || [ "$(cut -d' ' -f1-2 "$record")" != "$sources $(outputs)" ]; then
  echo "build.sh: building the flatnet library and compiling the Cake script (first run, or their source changed): about 15 to 30 s" >&2
  # A tree new to this machine starts from nothing: the Test target builds the tests from their bin/ and obj/ too.
  if [ -z "$known" ]; then
    rm -rf src/*/bin src/*/obj tests/*/bin tests/*/obj
    token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  fi
  rm -rf "$out" build/tools/Modules build/tools/cache "$record.cake-cache"   # Cake's compiled script was made against the library it replaces
  dotnet publish src/Flatnet.Lab/Flatnet.Lab.csproj -c Release -o "$out" --nologo -v quiet -p:GenerateFullPaths=true >/dev/null \
    || { echo "build.sh: building the Flatnet library failed; run 'dotnet build src/Flatnet.Lab' to see why" >&2; exit 1; }
  # Cake's report sized for a person: a module Cake finds in build/tools/Modules (src/Cake.Flatnet.Module).
  dotnet build src/Cake.Flatnet.Module/Cake.Flatnet.Module.csproj -c Release -o build/tools/Modules/Cake.Flatnet.Module --nologo -v quiet >/dev/null \
    || { echo "build.sh: building Cake's report module failed; run 'dotnet build src/Cake.Flatnet.Module' to see why" >&2; exit 1; }
  # New files, renamed: never written through; the token owner-only.
  rm -f "$token_file.new" && (umask 077; set -C; printf '%s\n' "$token" >"$token_file.new") && mv -f "$token_file.new" "$token_file"
  echo "$sources $(outputs) $token $(intermediates)" >"$record.new" && mv -f "$record.new" "$record"
fi
export CAKE_SETTINGS_ENABLESCRIPTCACHE=true
# Cake's folders named here, over any cake.config a clone brings (the environment wins): its compiled script kept beside
# the build record, outside the checkout (a clone's build/tools/cache would run as it came), its modules and add-ins
# where this script builds and checks them.
export CAKE_PATHS_CACHE=$record.cake-cache CAKE_PATHS_TOOLS=$PWD/build/tools CAKE_PATHS_MODULES=$PWD/build/tools/Modules CAKE_PATHS_ADDINS=$PWD/build/tools/Addins
# --help (or -h) is flatnet's, not Cake's generic usage: one target's options and an example
# (./build.sh --target=Plan --help), or the list of targets.
help= target= prev=
for a in "$@"; do
  case "$a" in --help|-h|'-?') help=1 ;; --target=*) target=${a#--target=} ;; esac
  if [ "$prev" = --target ]; then target=$a; fi
  prev=$a
done
if [ -n "$help" ]; then set -- --target=Help ${target:+"--topic=$target"}; fi
# --json (and Plan --diff --format=md): Cake's own lines go to stderr, and stdout carries the document alone (the
# task writes it to the file FLATNET_JSON_TO names), so `./build.sh --target=Status --json | jq .` works.
json=
# The library's rule (TaskArguments.Flag): --json, or --json=ANYTHING but false, in any case.
# (`--json false`, a value in the next word as Cake reads it, is false too.)
prev=
for a in "$@"; do
  case "${a,,}" in --json=false) json= ;; --json|--json=*|--format=md|--format=json) json=1 ;; false) [ "${prev,,}" != --json ] || json= ;; esac
  prev=$a
done
# Colours only for a person at a terminal: none in a pipe, a file or a CI log, and none when NO_COLOR is set.
if [ -n "$json" ]; then [ -t 2 ] || export NO_COLOR="${NO_COLOR:-1}"; else [ -t 1 ] || export NO_COLOR="${NO_COLOR:-1}"; fi
unset FLATNET_JSON_TO   # never one the environment brought: only the file made below
if [ -z "$json" ]; then exec dotnet cake build/build.cake "$@"; fi
# In build/tools (this checkout's, checked above), not TMPDIR: another account's TMPDIR could swap the file before cat.
FLATNET_JSON_TO=$(mktemp "$PWD/build/tools/.json.XXXXXX")
export FLATNET_JSON_TO
trap 'rm -f "$FLATNET_JSON_TO"' EXIT
rc=0
dotnet cake build/build.cake "$@" >&2 || rc=$?
cat "$FLATNET_JSON_TO"
exit "$rc"
