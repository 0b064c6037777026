#!/usr/bin/env bash
# Runs the README's test command in a minimal Debian 12 root, so that no
# package left on this machine can make scripts/install-deps.sh look complete.
#
#   scripts/check-fresh.sh [--keep] [--cache DIR] [--head] [--with-torch] [--refresh]
#                          [--demo] [-- CTEST-ARGS...]
#
# As root. Each run:
#   1. makes (once, then cached) a minbase bookworm tarball with mmdebstrap
#      from this machine's configured Debian mirror (mmdebstrap is installed
#      with apt-get when missing);
#   2. in a private mount and PID namespace, unpacks a pristine copy of it
#      into a root of its own (a root that already had pan's packages is
#      never reused): a tmpfs when there is memory to spare, else a directory
#      in the cache; copies the source tree this checkout builds (git
#      ls-files: tracked and untracked files as they are in the work tree,
#      never ignored ones such as build*/; or, with --head, the committed
#      HEAD) to /src/pan in it; mounts /proc, a minimal /dev and a read-only /sys,
#      copies /etc/resolv.conf and bind-mounts the cached .debs and apt lists;
#   3. in the chroot, with a clean environment, runs
#         PAN_SKIP_TORCH=1 scripts/test.sh [CTEST-ARGS]
#      i.e. install-deps.sh --test, configure, build and every ctest suite
#      except those that need python3-torch (test.sh names the ones skipped);
#   4. reports which Debian packages install-deps.sh installed (the ones it
#      asked for and all they pulled in: dpkg before/after), checks that a
#      second install-deps.sh run finds nothing missing, and removes the root.
# It exits non-zero if any step fails. The namespaces make the mounts, the
# tmpfs root and any process left in the chroot disappear with the run, on
# Ctrl-C, TERM or kill -9 too.
#
# Options:
#   --keep        keep the root afterwards (on disk, as DIR/kept.*/root; the
#                 path is printed; nothing is mounted in it any more)
#   --head        test the committed HEAD (git archive) instead of the work tree
#   --cache DIR   cache directory (default $PAN_FRESH_CACHE, else
#                 /var/cache/pan-check-fresh); must be outside the checkout.
#                 Holds base-*.tar, apt-archives/ (.debs), apt-lists/ and the
#                 run directories; last-report.txt is the latest report,
#                 last-log.txt the full output of the latest test run.
#   --with-torch  do not set PAN_SKIP_TORCH: install python3-torch too
#                 (~190 MiB more of .debs when cold) and run the PyTorch
#                 parity suites as well (several minutes more)
#   --refresh     rebuild the base tarball even if one is cached
#   --demo        run the README's other command, scripts/demo.sh, instead
#                 of scripts/test.sh (it installs only the build packages,
#                 so this checks that list on its own)
#   -- ARGS       passed to scripts/test.sh, i.e. to ctest (e.g. -- -L unit)
# Environment:
#   PAN_FRESH_CACHE             as --cache
#   PAN_FRESH_TMPFS=1|0         force the root onto a tmpfs, or onto disk
#                               (default: tmpfs if MemAvailable >= 4 GiB,
#                               8 GiB with --with-torch; never with --keep)
#   PAN_FRESH_MIRROR, PAN_FRESH_SECURITY_MIRROR
#                               Debian mirrors (default: this machine's
#                               configured bookworm and bookworm-security
#                               mirrors, else deb.debian.org)
set -euo pipefail
export LC_ALL=C

suite=bookworm
self=$(readlink -f "$0")
repo=$(cd "$(dirname "$self")/.." && pwd -P)
say() { echo "check-fresh: $*"; }
die() { echo "check-fresh: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# The inner part: PID 1 of a private mount + PID namespace (see the end of
# the outer part). Every mount it makes and every process it starts goes
# away when it exits, however that happens.
if [[ "${1:-}" == "--inner" ]]; then
  run=$2 cache=$3 base=$4 skip_torch=$5 tmpfs=$6 head=$7 mode=$8
  shift 8
  root=$run/root
  mounts=()
  umount_all() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
      umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null ||
        echo "check-fresh: warning: could not unmount ${mounts[i]}" >&2
    done
    mounts=()
  }
  # Normal exits unmount here; on Ctrl-C or TERM the outer part SIGKILLs
  # unshare, which SIGKILLs us (--kill-child), and the kernel drops the
  # namespaces with everything in them.
  trap umount_all EXIT
  mnt() { mount "$@"; mounts+=("${!#}"); }

  # --- a pristine root ------------------------------------------------------
  t0=$SECONDS
  mkdir "$root"
  [[ $tmpfs != 0 ]] && mnt -t tmpfs -o "mode=755,size=${tmpfs}k" tmpfs "$root"
  tar -xf "$base" -C "$root" --numeric-owner --same-permissions
  mkdir -p "$root/src/pan"
  git_=(git -c safe.directory="$repo" -C "$repo")
  if [[ $head == 1 ]]; then
    "${git_[@]}" archive --format=tar HEAD | tar -C "$root/src/pan" -xf -
    say "copied the committed HEAD ($("${git_[@]}" rev-parse --short HEAD)," \
        "$(find "$root/src/pan" -type f | wc -l) files) to /src/pan"
  elif "${git_[@]}" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # The work tree as the build sees it: tracked files (minus those deleted
    # in the work tree) and untracked ones, never ignored ones (build*/).
    declare -A gone=()
    while IFS= read -r -d '' f; do gone[$f]=1; done < <("${git_[@]}" ls-files -z --deleted)
    while IFS= read -r -d '' f; do
      if [[ -z "${gone[$f]:-}" ]]; then printf '%s\0' "$f"; fi
    done < <("${git_[@]}" ls-files -z --cached --others --exclude-standard) |
      tar -C "$repo" --null -T - -cf - | tar -C "$root/src/pan" -xf -
    dirty=$("${git_[@]}" status --porcelain | wc -l)
    say "copied the work tree ($("${git_[@]}" rev-parse --short HEAD)," \
        "$dirty files changed or untracked; $(find "$root/src/pan" -type f | wc -l) files) to /src/pan"
  else
    tar -C "$repo" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$root/src/pan" -xf -
    say "not a git checkout: copied the whole tree except build*/ to /src/pan"
  fi

  mnt -t proc -o nosuid,nodev,noexec proc "$root/proc"
  mnt -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
  mnt -t tmpfs -o nosuid,mode=755,size=64m tmpfs "$root/dev"
  for node in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    read -r name major minor <<<"$node"
    mknod -m 666 "$root/dev/$name" c "$major" "$minor"
  done
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mkdir "$root/dev/pts" "$root/dev/shm"
  mnt -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mnt -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"
  mkdir -p "$cache/apt-archives/partial" "$cache/apt-lists/partial"
  mnt --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
  mnt --bind "$cache/apt-lists" "$root/var/lib/apt/lists"
  rm -f "$root/etc/resolv.conf"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  # A fresh install always has these two; a minbase root may not.
  [[ -s "$root/etc/hosts" ]] ||
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  [[ -s "$root/etc/hostname" ]] || echo pan-fresh >"$root/etc/hostname"
  where=$([[ $tmpfs != 0 ]] && echo "a tmpfs" || echo "disk")
  say "pristine root ready in $((SECONDS - t0))s, on $where: $root"

  # --- the test run ---------------------------------------------------------
  # A clean environment: nothing from the caller's shell leaks in.
  envv=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
        LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive)
  for v in http_proxy https_proxy no_proxy; do
    [[ -n "${!v:-}" ]] && envv+=("$v=${!v}")
  done
  [[ $skip_torch == 1 ]] && envv+=(PAN_SKIP_TORCH=1)
  in_root() { chroot "$root" /usr/bin/env -i "${envv[@]}" "$@"; }
  pkgs() { in_root dpkg-query -W -f '${db:Status-Abbrev} ${binary:Package} ${Version}\n' |
             awk '$1 ~ /^.i/ {print $2, $3}' | sort; }

  pkgs >"$run/before.txt"
  in_root apt-mark showmanual | sort >"$run/manual-before.txt"
  debs_before=$(find "$cache/apt-archives" -maxdepth 1 -name '*.deb' | wc -l)
  bytes_before=$(du -sb "$cache/apt-archives" | cut -f1)

  t0=$SECONDS
  if [[ $mode == demo ]]; then cmd=(scripts/demo.sh "$@"); deps=(scripts/install-deps.sh)
  else cmd=(scripts/test.sh "$@"); deps=(scripts/install-deps.sh --test); fi
  say "in the chroot, as root, in /src/pan:$([[ $skip_torch == 1 ]] && echo " PAN_SKIP_TORCH=1") ${cmd[*]}"
  # The full output goes to log.txt; dpkg's per-package lines are not shown.
  set +e
  in_root /bin/bash -c 'cd /src/pan && exec "$@"' test "${cmd[@]}" 2>&1 | tee "$run/log.txt" |
    grep --line-buffered -Ev '^(Selecting previously|Preparing to unpack|Unpacking|Setting up|Processing triggers for|\(Reading database)'
  rc=${PIPESTATUS[0]}
  set -e
  t_test=$((SECONDS - t0))

  # --- the report, pass or fail ---------------------------------------------
  pkgs >"$run/after.txt"
  in_root apt-mark showmanual | sort >"$run/manual-after.txt"
  asked=$(comm -13 "$run/manual-before.txt" "$run/manual-after.txt" | tr '\n' ' ')
  new=$(comm -13 <(cut -d' ' -f1 "$run/before.txt") <(cut -d' ' -f1 "$run/after.txt"))
  changed=$(comm -13 "$run/before.txt" "$run/after.txt" | cut -d' ' -f1 |
            comm -23 - <(printf '%s\n' "$new") | tr '\n' ' ')
  debs_after=$(find "$cache/apt-archives" -maxdepth 1 -name '*.deb' | wc -l)
  bytes_after=$(du -sb "$cache/apt-archives" | cut -f1)
  {
    echo "== check-fresh report ($(date -u +%FT%TZ), $suite minbase, PAN_SKIP_TORCH=$skip_torch) =="
    echo "command: ${cmd[*]}: exit status $rc, ${t_test}s (full output: last-log.txt)"
    echo "install-deps.sh asked for ($(wc -w <<<"$asked")): ${asked:-nothing}"
    echo "packages installed in total, with dependencies: $(grep -c . <<<"$new" || true)" \
         "(the base root had $(wc -l <"$run/before.txt"))"
    if [[ -n "${changed// /}" ]]; then echo "base packages upgraded along the way: $changed"; fi
    echo ".deb files downloaded this run: $((debs_after - debs_before))" \
         "($(( (bytes_after - bytes_before) / 1048576 )) MiB; the cache holds $((bytes_after / 1048576)) MiB)"
    echo "root size at the end: $(du -sxm --exclude="$root/var/cache/apt/archives" \
      --exclude="$root/var/lib/apt/lists" "$root" | cut -f1) MiB on $where"
    echo "all installed packages:"
    awk 'NR == FNR {new[$1] = 1; next} ($1 in new) {printf "  %s %s\n", $1, $2}' \
      <(printf '%s\n' "$new") "$run/after.txt"
  } >"$run/report.txt"

  if [[ $rc -eq 0 ]]; then
    # The list is complete; it must also know it: a second run installs nothing.
    if ! again=$(in_root /bin/bash -c 'cd /src/pan && exec "$@"' deps "${deps[@]}" 2>&1); then
      echo "$again" >&2
      echo "second ${deps[*]} run FAILED" >>"$run/report.txt"
      rc=1
    elif grep -q 'installing Debian packages' <<<"$again"; then
      echo "second ${deps[*]} run still installed something: $again" |
        tee -a "$run/report.txt" >&2
      rc=1
    else
      echo "second ${deps[*]} run: nothing missing" >>"$run/report.txt"
    fi
  fi
  exit "$rc"
fi

# ---------------------------------------------------------------------------
# The outer part.
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$self"; }
keep=0 skip_torch=1 refresh=0 head=0 mode=test cache=${PAN_FRESH_CACHE:-/var/cache/pan-check-fresh}
while [[ $# -gt 0 ]]; do
  case $1 in
    --keep) keep=1 ;;
    --cache) [[ $# -ge 2 ]] || die "--cache needs a directory"; cache=$2; shift ;;
    --cache=*) cache=${1#--cache=} ;;
    --with-torch) skip_torch=0 ;;
    --head) head=1 ;;
    --refresh) refresh=1 ;;
    --demo) mode=demo ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

[[ $(id -u) -eq 0 ]] ||
  die "must run as root (it builds a Debian root with mmdebstrap, mounts and chroots): sudo $0"
[[ -n "$cache" ]] || die "empty cache directory"
cache=$(realpath -m -- "$cache")
case $cache/ in "$repo"/*) die "the cache ($cache) must be outside the checkout ($repo)" ;; esac
for tool in chroot unshare setpriv mount flock tar realpath; do
  command -v "$tool" >/dev/null || die "$tool not found (util-linux, coreutils, tar)"
done
mkdir -p "$cache"

t_start=$SECONDS
exec {lock}>"$cache/.lock"
if ! flock -n "$lock"; then
  say "another check-fresh run holds $cache/.lock; waiting"
  flock "$lock"
fi

mounted_under() { awk -v p="$1/" 'index($5 "/", p) == 1 {print $5}' /proc/self/mountinfo; }
remove_run() {  # never follows a mount: refuses while anything is mounted below
  local dir=$1 left
  left=$(mounted_under "$dir")
  if [[ -n "$left" ]]; then
    echo "check-fresh: warning: still mounted, NOT removing $dir: ${left//$'\n'/ }" >&2
    return 1
  fi
  rm -rf --one-file-system "$dir"
}

# Runs left behind by a kill -9 (none can be running: we hold the lock).
for old in "$cache"/run.*; do
  [[ -d "$old" ]] || continue
  say "removing a stale run directory: $old"
  remove_run "$old" || true
done

run='' upid=''
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$upid" ]]; then kill -KILL "$upid" 2>/dev/null || true; wait "$upid" 2>/dev/null || true; fi
  if [[ -n "$run" && -d "$run" ]]; then
    if [[ $keep -eq 1 && -d "$run/root" ]]; then
      local kept=$cache/kept.${run##*/run.}
      mv "$run" "$kept"
      say "kept the root: $kept/root (remove it with rm -rf --one-file-system $kept)"
    else
      remove_run "$run" || status=1
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'echo "check-fresh: interrupted" >&2; exit 130' INT
trap 'echo "check-fresh: terminated" >&2; exit 143' TERM

# --- the base root ----------------------------------------------------------
arch=$(dpkg --print-architecture)
host_site() {  # this machine's configured Debian mirror for a suite, if any
  apt-get indextargets --format '$(SITE)' "Origin: Debian" "Release: $1" \
    "Identifier: Packages" 2>/dev/null | head -n1
}
mirror=${PAN_FRESH_MIRROR:-$(host_site "$suite")}
mirror=${mirror:-http://deb.debian.org/debian}
security=${PAN_FRESH_SECURITY_MIRROR:-$(host_site "$suite-security")}
security=${security:-http://deb.debian.org/debian-security}
sources=("deb $mirror $suite main" "deb $mirror $suite-updates main"
         "deb $security $suite-security main")
key=$(printf '%s\n' "$arch" "${sources[@]}" | md5sum | cut -c1-8)
base=$cache/base-$suite-minbase-$arch-$key.tar

if [[ $refresh -eq 1 || ! -s "$base" ]]; then
  if ! command -v mmdebstrap >/dev/null; then
    say "installing mmdebstrap on this machine (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
  fi
  say "creating the base root ($suite, minbase, $arch) from $mirror: $base"
  t0=$SECONDS
  rm -f "$base.tmp"
  # force-unsafe-io: dpkg skips fsync in this throw-away root (much faster).
  mmdebstrap --quiet --variant=minbase --mode=root --format=tar \
    --dpkgopt=force-unsafe-io "$suite" "$base.tmp" "${sources[@]}" ||
    { rm -f "$base.tmp"; die "mmdebstrap failed"; }
  mv "$base.tmp" "$base"
  printf '%s\n' "created $(date -u +%FT%TZ)" "${sources[@]}" >"$base.info"
  say "base root: $(( $(stat -c %s "$base") / 1048576 )) MiB, $((SECONDS - t0))s"
else
  say "base root: cached $base ($(head -n1 "$base.info" 2>/dev/null || echo '?'))"
fi

# --- where the root goes ----------------------------------------------------
avail_kib=$(awk '$1 == "MemAvailable:" {print $2}' /proc/meminfo)
need_kib=$(( (skip_torch == 1 ? 4 : 8) * 1048576 ))
tmpfs=0
case ${PAN_FRESH_TMPFS:-auto} in
  1) tmpfs=1 ;;
  0) ;;
  auto) [[ $keep -eq 0 && ${avail_kib:-0} -ge $need_kib ]] && tmpfs=1 ;;
  *) die "PAN_FRESH_TMPFS must be 1 or 0, not '$PAN_FRESH_TMPFS'" ;;
esac
[[ $keep -eq 1 && $tmpfs -eq 1 ]] && die "--keep needs the root on disk: unset PAN_FRESH_TMPFS"
# tmpfs only takes what is written; the size is a ceiling.
[[ $tmpfs -eq 1 ]] && tmpfs=$(( ${avail_kib:-0} * 3 / 4 > need_kib ? ${avail_kib:-0} * 3 / 4 : need_kib ))

# --- the test run, in a private mount + PID namespace ----------------------
run=$(mktemp -d "$cache/run.XXXXXX")
# In the background so that INT/TERM reach our traps at once (wait is
# interruptible); cleanup then SIGKILLs unshare and with it the namespace.
# If this shell is killed outright, the kernel SIGKILLs unshare (pdeathsig).
rc=0
setpriv --pdeathsig KILL -- unshare --mount --propagation private --pid --fork --kill-child -- \
  bash "$self" --inner "$run" "$cache" "$base" "$skip_torch" "$tmpfs" "$head" "$mode" "$@" &
upid=$!
wait "$upid" || rc=$?
upid=''

if [[ -f "$run/log.txt" ]]; then cp "$run/log.txt" "$cache/last-log.txt"; fi
if [[ -s "$run/report.txt" ]]; then
  cp "$run/report.txt" "$cache/last-report.txt"
  echo
  cat "$run/report.txt"
fi
echo "total: $((SECONDS - t_start))s (cache: $cache)"
if [[ $rc -ne 0 ]]; then
  echo "check-fresh: FAILED (exit status $rc): scripts/$mode.sh does not pass on a fresh Debian 12 root" >&2
  exit "$rc"
fi
say "OK: scripts/$mode.sh passes on a fresh Debian 12 root"
