#!/usr/bin/env bash
# 评审工作站离线安装 / Review Station offline installer.
# Run as root on Debian 12 from the unpacked kit; needs no network.
#   ./install.sh [--prefix DIR] [--bin-dir DIR]   install, or upgrade in place (the previous version is kept)
#   ./install.sh --rollback [--prefix DIR] [--bin-dir DIR]   go back to the previous version
# Exit: 0 installed (station doctor's report printed), 2 usage or environment error,
#       3 damaged kit (nothing was installed), 4 installed but `station` does not run.
set -euo pipefail

PREFIX=/opt/review-station
BIN_DIR=/usr/local/bin
ROLLBACK=0
KIT=$(cd "$(dirname "$0")" && pwd)

say() { echo "[安装] $*"; }
die() { echo "[安装] 错误：$1" >&2; exit "${2:-2}"; }
usage() { echo "用法：./install.sh [--prefix 安装目录] [--bin-dir 命令目录] [--rollback]"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { usage >&2; exit 2; }; PREFIX=$2; shift 2 ;;
    --bin-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; BIN_DIR=$2; shift 2 ;;
    --rollback) ROLLBACK=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

verify_kit() {
  [ -s "$KIT/SHA256SUMS" ] || die "安装包不完整：缺少 SHA256SUMS，未安装任何内容" 3
  local out bad
  if out=$(cd "$KIT" && sha256sum --quiet --strict -c SHA256SUMS 2>&1); then
    say "安装包校验通过（$(wc -l < "$KIT/SHA256SUMS") 个文件）"
    return
  fi
  bad=$(printf '%s\n' "$out" | sed -n -E 's/^(.*): FAILED.*$/\1/p' | grep -v '^sha256sum' || true)
  {
    echo "[安装] 错误：安装包已损坏，未安装任何内容。请重新拷贝安装包。"
    if [ -n "$bad" ]; then
      printf '%s\n' "$bad" | while IFS= read -r f; do echo "[安装]   校验失败：$f"; done
    else
      echo "[安装]   SHA256SUMS 本身已损坏：$out"
    fi
  } >&2
  exit 3
}

kit_version() {
  local wheels=("$KIT"/wheels/review_station-*.whl)
  [ -f "${wheels[0]}" ] || die "安装包中没有评审工作站程序（wheels/review_station-*.whl）" 3
  PROJECT_WHEEL=${wheels[0]}
  VERSION=$(basename "$PROJECT_WHEEL" | sed -E 's/^review_station-([^-]+)-.*$/\1/')
}

install_debs() {
  local deb fields pkg ver arch query have installed=() skipped=0
  for deb in "$KIT"/debs/*.deb; do
    fields=$(dpkg-deb --showformat='${Package} ${Version} ${Architecture}' -W "$deb")
    read -r pkg ver arch <<<"$fields"
    query=$pkg; [ "$arch" = all ] || query="$pkg:$arch"
    have=$(dpkg-query -W -f='${db:Status-Abbrev}|${Version}' "$query" 2>/dev/null || true)
    if [[ $have == ii*'|'* ]] && dpkg --compare-versions "${have#*|}" ge "$ver"; then
      skipped=$((skipped + 1))
    else
      installed+=("$deb")
    fi
  done
  if [ ${#installed[@]} -gt 0 ]; then
    say "安装 Debian 软件包 ${#installed[@]} 个（不联网）..."
    # apt orders the kit's files by their (pre-)dependencies; it sees no repository, only them.
    local empty
    empty=$(mktemp -d)
    mkdir "$empty/parts" "$empty/lists" && touch "$empty/sources.list"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      -o Dir::Etc::SourceList="$empty/sources.list" -o Dir::Etc::SourceParts="$empty/parts" \
      -o Dir::State::Lists="$empty/lists" \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${installed[@]}" \
      > "$PREFIX/apt.log" 2>&1 || { rm -rf "$empty"; die "安装 Debian 软件包失败，详见 $PREFIX/apt.log"; }
    rm -rf "$empty"
  fi
  say "Debian 软件包：新安装或升级 ${#installed[@]} 个，已有 ${skipped} 个"
}

python_env() {
  local release=$1 python=/usr/bin/python3
  [ -x $python ] || die "找不到 $python（Debian 软件包 python3 未安装成功）"
  $python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
    || die "这台电脑的 Python 不是 3.11：本安装包只适用于 Debian 12"
  # Only the kit's wheels: ignore any pip configuration of this machine.
  for var in $(env | sed -n 's/^\(PIP_[A-Z_]*\)=.*/\1/p'); do unset "$var"; done
  export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_NO_INPUT=1
  # (called with ||, so set -e is off here: every step returns on failure)
  $python -m venv "$release/venv" || return 1
  "$release/venv/bin/python" -m pip install -q --no-index --find-links "$KIT/wheels" \
    --require-hashes --no-deps -r "$KIT/requirements.lock" || return 1
  "$release/venv/bin/python" -m pip install -q --no-index --no-deps "$PROJECT_WHEEL" || return 1
}

link() {  # link NAME TARGET: point PREFIX/NAME at TARGET atomically
  ln -sfn "$2" "$PREFIX/$1.new" && mv -T "$PREFIX/$1.new" "$PREFIX/$1"
}

put_on_path() {
  mkdir -p "$BIN_DIR"
  ln -sfn "$PREFIX/current/venv/bin/station" "$BIN_DIR/station"
}

doctor() {
  say "运行 station doctor 体检："
  local rc=0 report
  report=$("$BIN_DIR/station" doctor 2>&1) || rc=$?
  printf '%s\n' "$report"
  [[ $report == *"结论："* ]] || rc=3   # the program did not even start
  case $rc in
    0) say "体检结果：一切正常" ;;
    1) say "体检结果：可以使用，请按上面的处理办法处理警告" ;;
    2) say "体检结果：有问题，请按上面的处理办法处理后再运行 station doctor" ;;
    *) die "station 无法运行（见上面的报错），请联系技术支持；可用 ./install.sh --rollback 回到上一版本" 4 ;;
  esac
}

rollback() {
  [ "$(id -u)" -eq 0 ] || die "请以 root 身份运行（例如 sudo ./install.sh --rollback）"
  local current previous
  current=$(readlink "$PREFIX/current" 2>/dev/null) || die "$PREFIX 下没有已安装的版本"
  previous=$(readlink "$PREFIX/previous" 2>/dev/null) || die "没有保留的上一版本，无法回退"
  [ -d "$PREFIX/$previous" ] || die "上一版本 $PREFIX/$previous 已不存在，无法回退"
  link current "$previous"
  link previous "$current"
  put_on_path
  say "已回退到 $PREFIX/$previous（刚才的版本保留在 $PREFIX/$current，再次运行 --rollback 可切换回去）"
  say "注意：新版本已升级过的工作站数据库，旧版本不能打开，请从备份恢复"
  doctor
}

main() {
  if [ "$ROLLBACK" -eq 1 ]; then rollback; return; fi
  verify_kit            # before anything is installed or created
  [ "$(id -u)" -eq 0 ] || die "请以 root 身份运行（例如 sudo ./install.sh）"
  kit_version
  mkdir -p "$PREFIX/releases"
  PREFIX=$(cd "$PREFIX" && pwd)
  install_debs

  local name old release
  name="$VERSION-$(date -u +%Y%m%dT%H%M%SZ)"
  release="$PREFIX/releases/$name"
  [ ! -e "$release" ] || die "$release 已存在，请一秒后重试"
  say "建立 Python 环境（只用安装包中的 wheel，不联网）..."
  python_env "$release" || { rm -rf "$release"; die "建立 Python 环境失败，原有版本未改动"; }

  old=$(readlink "$PREFIX/current" 2>/dev/null || true)
  link current "releases/$name"
  [ -z "$old" ] || link previous "$old"
  for dir in "$PREFIX"/releases/*; do   # keep only the current and the previous version
    [ "$dir" = "$release" ] || [ "$dir" = "$PREFIX/$old" ] || rm -rf "$dir"
  done
  put_on_path

  say "评审工作站 $VERSION 已安装到 $release"
  say "命令 station：$BIN_DIR/station"
  if [ -n "$old" ]; then
    say "上一版本保留在 $PREFIX/$old（回退：./install.sh --rollback）"
  fi
  say "各工作站的数据未改动；数据库在新版本首次打开时自动升级"
  doctor
}

main
