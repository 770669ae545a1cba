#!/bin/sh
# deps.sh — make sure the build and test dependencies are present; install the
# missing Debian packages with apt-get when we are root (or have sudo), otherwise
# say exactly what to install. Quiet when everything is there. With the
# argument `fuzz`, clang too (make fuzz).
missing=""
pkg-config --exists openblas 2>/dev/null || missing="$missing libopenblas-dev"
pkg-config --exists ncursesw 2>/dev/null || missing="$missing libncurses-dev"
pkg-config --exists readline 2>/dev/null || missing="$missing libreadline-dev"
pkg-config --exists jansson 2>/dev/null || missing="$missing libjansson-dev"
pkg-config --exists cairo fontconfig 2>/dev/null || missing="$missing libcairo2-dev libfontconfig-dev"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v tmux >/dev/null 2>&1 || missing="$missing tmux"
# `deps.sh fuzz` (make fuzz): clang with its libFuzzer and sanitizer runtimes
if [ "$1" = fuzz ] && ! command -v clang-14 >/dev/null 2>&1 && ! command -v clang >/dev/null 2>&1; then
	missing="$missing clang"
fi
[ -z "$missing" ] && exit 0

echo "noether: installing missing packages:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
else
	echo "noether: cannot install as a normal user; please run:" >&2
	echo "    sudo apt-get install$missing" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "noether: no apt-get here; install the equivalents of:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null >/dev/null 2>&1 || true
if ! $SUDO apt-get install -y -qq --no-install-recommends$missing </dev/null; then
	echo "noether: apt-get failed; install by hand:  apt-get install$missing" >&2
	exit 1
fi
